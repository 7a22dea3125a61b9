import { toRepositoryMatcher, type RepositoryMatcher } from '../grammar/repository-glob.js'

/**
 * A retention policy for the repositories matching one glob. The first rule whose `repositories`
 * matches a repository is the one applied to it (order rules from specific to general).
 *
 * Tags: as soon as a rule has any of `keepLast`, `keepTags` or `keepPulledWithinMs`, a tag is
 * deleted unless one of them keeps it — it is among the `keepLast` most recently pushed, matches a
 * `keepTags` pattern, or its manifest was pulled (or the tag pushed) within `keepPulledWithinMs`.
 * Immutable tags (`immutableTags`) are never deleted. A rule with none of the three deletes no tag.
 *
 * Manifests: with `untaggedAfterMs`, a manifest that no tag reaches (directly, as an index's
 * child, or as a referrer of a kept manifest) is deleted once it has been untagged that long —
 * unless it was pulled within `keepPulledWithinMs` (digest-pinned pulls keep what they use).
 */
export interface RetentionRule {
  /** Repository glob (`ci/**`, `*`; see grammar/repository-glob.ts). */
  repositories: string
  /** Keep the N most recently pushed tags (push time: the tag object's last write). */
  keepLast?: number
  /**
   * Keep tags matching any of these patterns: `*` matches any run of characters, everything else
   * itself (`v*`, `release-*`, `latest`).
   */
  keepTags?: readonly string[]
  /**
   * Delete manifests no tag reaches once untagged for this long (measured from the last write of
   * the revision, which the index rewrites when a tag leaves it, at most `TOUCH_INTERVAL_MS` early).
   * Like the collector's grace period it must exceed the longest push; `0` is safe only offline.
   */
  untaggedAfterMs?: number
  /** Keep what was pulled within this period (pulls are recorded coalesced, see pull-recorder.ts). */
  keepPulledWithinMs?: number
}

/** A rule checked and compiled once. */
export interface CompiledRetentionRule {
  rule: RetentionRule
  matches: RepositoryMatcher
  /** Whether `tag` matches one of `keepTags`. */
  keepsTagName(tag: string): boolean
  /** Whether the rule deletes tags at all (it has a `keep*` key). */
  prunesTags: boolean
}

/** Rules compiled; `ruleFor` is first-match. */
export interface RetentionPolicy {
  readonly rules: readonly CompiledRetentionRule[]
  ruleFor(repository: string): CompiledRetentionRule | undefined
  /** How long pulls in `repository` must be remembered (0: not at all, no rule asks). */
  pullHorizonMs(repository: string): number
}

const TAG_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/

function toTagMatcher(pattern: string): (tag: string) => boolean {
  if (!TAG_PATTERN.test(pattern)) throw new TypeError(`retention: invalid tag pattern ${JSON.stringify(pattern)}`)
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.-]/g, '\\$&')).join('.*')}$`)
  return (tag) => regex.test(tag)
}

function assertPeriod(rule: RetentionRule, key: 'untaggedAfterMs' | 'keepPulledWithinMs' | 'keepLast'): void {
  const value = rule[key]
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new TypeError(`retention ${JSON.stringify(rule.repositories)}: ${key} must be a non-negative integer, got ${value}`)
  }
}

/** Checks and compiles retention rules; throws a TypeError naming the first unusable one. */
export function createRetentionPolicy(rules: readonly RetentionRule[] = []): RetentionPolicy {
  const compiled = rules.map((rule): CompiledRetentionRule => {
    for (const key of ['keepLast', 'untaggedAfterMs', 'keepPulledWithinMs'] as const) assertPeriod(rule, key)
    const patterns = (rule.keepTags ?? []).map(toTagMatcher)
    return {
      rule,
      matches: toRepositoryMatcher(rule.repositories),
      keepsTagName: (tag) => patterns.some((test) => test(tag)),
      prunesTags: rule.keepLast !== undefined || rule.keepTags !== undefined || rule.keepPulledWithinMs !== undefined,
    }
  })
  const ruleFor = (repository: string) => compiled.find((c) => c.matches(repository))
  return {
    rules: compiled,
    ruleFor,
    pullHorizonMs: (repository) => ruleFor(repository)?.rule.keepPulledWithinMs ?? 0,
  }
}
