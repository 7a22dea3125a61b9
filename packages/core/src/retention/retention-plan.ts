import type { CompiledRetentionRule } from './retention-rules.js'
import type { RetainedManifestDecision, RetainedTagDecision } from './retention-types.js'

/** A live tag as read: the version a deletion must compare-and-swap against, and its push time. */
export interface TagSnapshot {
  tag: string
  digest: string
  etag: string
  pushedAt: number
  immutable: boolean
}

/** A live revision as read (before the tags, see apply-retention.ts). */
export interface RevisionSnapshot {
  digest: string
  etag: string
  /** Its last write: the push, or the last time a tag left it (untagged since). */
  modified: number
  children: string[]
  subject?: string
}

/** Everything the decisions need about one repository. */
export interface RepositorySnapshot {
  tags: TagSnapshot[]
  revisions: Map<string, RevisionSnapshot>
  pulls: Map<string, number>
}

const DAY = 86_400_000
/** `90d`, `36h`, `15m` or `500ms`: periods in reasons, as an operator wrote them. */
export function formatPeriod(ms: number): string {
  if (ms >= DAY && ms % DAY === 0) return `${ms / DAY}d`
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  return `${ms}ms`
}

/** Whether `digest` was pulled within the rule's period before `now`. */
function pulledWithin(rule: CompiledRetentionRule, pulls: Map<string, number>, digest: string, now: number): boolean {
  const period = rule.rule.keepPulledWithinMs
  return period !== undefined && (pulls.get(digest) ?? -Infinity) >= now - period
}

/**
 * The tags to delete: every live tag no `keep*` of the rule keeps. `keepLast` ranks by push time,
 * latest first (ties: the lexically greater name first, so the choice is stable); a tag pushed
 * within `keepPulledWithinMs` counts as used, else a tag would go between its push and first pull.
 */
export function tagsToDelete(rule: CompiledRetentionRule, snapshot: RepositorySnapshot, now: number): Array<TagSnapshot & { decision: RetainedTagDecision }> {
  if (!rule.prunesTags) return []
  const { keepLast, keepPulledWithinMs } = rule.rule
  const ranked = [...snapshot.tags].sort((a, b) => b.pushedAt - a.pushedAt || (a.tag < b.tag ? 1 : -1))
  const result: Array<TagSnapshot & { decision: RetainedTagDecision }> = []
  ranked.forEach((tag, rank) => {
    if (tag.immutable || (keepLast !== undefined && rank < keepLast) || rule.keepsTagName(tag.tag)) return
    if (pulledWithin(rule, snapshot.pulls, tag.digest, now) || (keepPulledWithinMs !== undefined && tag.pushedAt >= now - keepPulledWithinMs)) return
    const why = [
      keepLast === undefined ? undefined : `not among the last ${keepLast} pushed`,
      rule.rule.keepTags === undefined ? undefined : 'matches no keepTags pattern',
      keepPulledWithinMs === undefined ? undefined : `neither pushed nor pulled within ${formatPeriod(keepPulledWithinMs)}`,
    ]
    const reason = why.filter((w) => w !== undefined).join('; ')
    result.push({ ...tag, decision: { tag: tag.tag, digest: tag.digest, pushedAt: new Date(tag.pushedAt).toISOString(), reason } })
  })
  // Listed (and deleted) in tag order, as the tag list shows them.
  return result.sort((a, b) => (a.tag < b.tag ? -1 : 1))
}

/**
 * The untagged manifests to delete. Kept: what any live tag points at (also tags this run deletes:
 * their manifests are untagged from now, so their delay starts now), revisions written within
 * `untaggedAfterMs`, revisions pulled within `keepPulledWithinMs`, and everything those reach as
 * index children or referrers (signatures and SBOMs stay with what they describe).
 */
export function manifestsToDelete(rule: CompiledRetentionRule, snapshot: RepositorySnapshot, now: number): Array<RevisionSnapshot & { decision: RetainedManifestDecision }> {
  const delay = rule.rule.untaggedAfterMs
  if (delay === undefined) return []
  const referrers = new Map<string, string[]>()
  for (const revision of snapshot.revisions.values()) {
    if (revision.subject) referrers.set(revision.subject, [...(referrers.get(revision.subject) ?? []), revision.digest])
  }
  const tagged = new Set(snapshot.tags.map((t) => t.digest))
  const work = [...snapshot.revisions.values()]
    .filter((r) => tagged.has(r.digest) || r.modified >= now - delay || pulledWithin(rule, snapshot.pulls, r.digest, now))
    .map((r) => r.digest)
  const kept = new Set<string>()
  while (work.length > 0) {
    const digest = work.pop()!
    const revision = snapshot.revisions.get(digest)
    if (kept.has(digest) || !revision) continue
    kept.add(digest)
    work.push(...revision.children, ...(referrers.get(digest) ?? []))
  }
  const pulledNote = rule.rule.keepPulledWithinMs === undefined ? '' : `, not pulled within ${formatPeriod(rule.rule.keepPulledWithinMs)}`
  return [...snapshot.revisions.values()]
    .filter((r) => !kept.has(r.digest))
    .map((r) => ({
      ...r,
      decision: { digest: r.digest, untaggedSince: new Date(r.modified).toISOString(), reason: `untagged for more than ${formatPeriod(delay)}${pulledNote}` },
    }))
}
