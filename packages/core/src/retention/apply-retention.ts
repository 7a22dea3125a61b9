import { isRegistryError } from '../errors/registry-error.js'
import { listKeys, toDigestString } from '../gc/listing.js'
import { toDigest } from '../grammar/digest.js'
import type { Stores } from '../http/context.js'
import { keys } from '../layout/key-layout.js'
import { parseManifest } from '../manifests/parse-manifest.js'
import type { ImmutableTagPolicy } from '../policies/immutable-tags.js'
import { readJson } from '../stores/json-objects.js'
import type { PullRecorder } from './pull-recorder.js'
import { manifestsToDelete, tagsToDelete, type RepositorySnapshot, type RevisionSnapshot, type TagSnapshot } from './retention-plan.js'
import type { CompiledRetentionRule, RetentionPolicy } from './retention-rules.js'
import type { ApplyRetentionOptions, RepositoryRetentionReport, RetentionReport } from './retention-types.js'

/** What retention works with: the stores, its rules, the immutable-tag rules and the pull record. */
export interface RetentionContext {
  stores: Stores
  policy: RetentionPolicy
  immutableTags: ImmutableTagPolicy
  pulls: PullRecorder | undefined
}

/**
 * Live revisions with their ETag and last write. Read before the tags: a push that tags a
 * revision after this read rewrote it first (manifest-index.ts, rule 3), so the deletion's
 * compare-and-swap against the ETag read here fails and the manifest stays.
 */
async function readRevisions(ctx: RetentionContext, repository: string, now: number, signal?: AbortSignal): Promise<Map<string, RevisionSnapshot>> {
  const revisions = new Map<string, RevisionSnapshot>()
  for await (const key of listKeys(ctx.stores.driver, keys.revisionsPrefix(repository), signal)) {
    const digest = toDigest(toDigestString(key))
    const info = digest && (await ctx.stores.driver.stat(key))
    const state = digest && info ? await ctx.stores.manifests.read(repository, digest) : undefined
    if (!digest || !info || !state?.manifest) continue
    let parsed: ReturnType<typeof parseManifest> | undefined
    try {
      parsed = parseManifest(state.manifest.bytes, state.manifest.mediaType)
    } catch {
      parsed = undefined // Stored once valid; if it no longer parses, it reaches nothing we can see.
    }
    revisions.set(digest.value, {
      digest: digest.value,
      etag: state.etag,
      // Rewritten between the stat and the read: written just now.
      modified: info.etag === state.etag ? info.modified.getTime() : now,
      children: parsed?.manifests.map((d) => d.digest.value) ?? [],
      ...(parsed?.subject ? { subject: parsed.subject.digest.value } : {}),
    })
  }
  return revisions
}

/**
 * Live tags with the version read and its push time: every push rewrites each of its tags (rule
 * 3), and nothing else writes a live tag, so the object's last write is the tag's last push. One
 * read gives the digest, the ETag and that time together.
 */
async function readTags(ctx: RetentionContext, repository: string, revisions: Map<string, RevisionSnapshot>): Promise<TagSnapshot[]> {
  const found: TagSnapshot[] = []
  let last: string | undefined
  for (;;) {
    const page = await ctx.stores.tags.list(repository, 1000, last)
    for (const tag of page.tags) {
      const object = await readJson<{ digest: string | null }>(ctx.stores.driver, keys.tag(repository, tag))
      const digest = object?.value.digest ? toDigest(object.value.digest) : undefined
      if (!object || !digest) continue
      // Only tags readers see (manifest-index.ts, rule 5): their revision must be live.
      if (!revisions.has(digest.value) && !(await ctx.stores.manifests.exists(repository, digest))) continue
      const pushedAt = object.modified?.getTime() ?? Date.now()
      found.push({ tag, digest: digest.value, etag: object.etag, pushedAt, immutable: ctx.immutableTags.ruleFor(repository, tag) !== undefined })
    }
    if (!page.more || page.tags.length === 0) return found
    last = page.tags[page.tags.length - 1]
  }
}

/** Applies one repository's rule; deletions go through the manifest index, against the versions read. */
async function retainRepository(ctx: RetentionContext, repository: string, rule: CompiledRetentionRule, now: number, options: ApplyRetentionOptions): Promise<RepositoryRetentionReport> {
  const report: RepositoryRetentionReport = { repository, rule: rule.rule.repositories, tags: [], manifests: [], skipped: 0 }
  const revisions = rule.rule.untaggedAfterMs === undefined ? new Map() : await readRevisions(ctx, repository, now, options.signal)
  const pulls = rule.rule.keepPulledWithinMs !== undefined && ctx.pulls ? await ctx.pulls.read(repository) : new Map<string, number>()
  const snapshot: RepositorySnapshot = { revisions, pulls, tags: await readTags(ctx, repository, revisions) }

  for (const tag of tagsToDelete(rule, snapshot, now)) {
    options.signal?.throwIfAborted()
    if (options.dryRun || (await deleteTag(ctx, repository, tag))) report.tags.push(tag.decision)
    else report.skipped++
  }
  for (const revision of manifestsToDelete(rule, snapshot, now)) {
    options.signal?.throwIfAborted()
    const deleted = options.dryRun || (await deleteManifest(ctx, repository, revision))
    if (deleted) report.manifests.push(revision.decision)
    else report.skipped++
  }
  return report
}

/** Deletes the tag only as read: a push since then wins. An immutable rule refusing is a skip too. */
async function deleteTag(ctx: RetentionContext, repository: string, tag: TagSnapshot): Promise<boolean> {
  try {
    return await ctx.stores.index.deleteTag(repository, tag.tag, tag.etag)
  } catch (error) {
    if (isRegistryError(error) && error.code === 'DENIED') return false
    throw error
  }
}

async function deleteManifest(ctx: RetentionContext, repository: string, revision: RevisionSnapshot): Promise<boolean> {
  try {
    return (await ctx.stores.index.deleteManifest(repository, toDigest(revision.digest)!, revision.etag)) !== undefined
  } catch (error) {
    // An immutable tag was pushed onto it meanwhile.
    if (isRegistryError(error) && error.code === 'DENIED') return false
    throw error
  }
}

/**
 * Applies the retention rules to every repository a rule covers, in catalog order. This process's
 * pending pulls are flushed first, so what it served counts. Safe while pushes run: every deletion
 * is a compare-and-swap against the version read, through the manifest index.
 */
export async function applyRetention(ctx: RetentionContext, options: ApplyRetentionOptions = {}): Promise<RetentionReport> {
  const clock = options.now ?? Date.now
  const startedAt = clock()
  const report: RetentionReport = { dryRun: options.dryRun ?? false, repositoriesChecked: 0, repositories: [], tagsDeleted: 0, manifestsDeleted: 0, durationMs: 0 }
  if (ctx.policy.rules.length === 0) return report
  await ctx.pulls?.flush()
  let last: string | undefined
  for (;;) {
    options.signal?.throwIfAborted()
    const page = await ctx.stores.catalog.list(100, last)
    for (const repository of page.names) {
      const rule = ctx.policy.ruleFor(repository)
      if (!rule) continue
      report.repositoriesChecked++
      const done = await retainRepository(ctx, repository, rule, startedAt, options)
      report.tagsDeleted += done.tags.length
      report.manifestsDeleted += done.manifests.length
      if (done.tags.length > 0 || done.manifests.length > 0 || done.skipped > 0) report.repositories.push(done)
    }
    if (!page.more || page.names.length === 0) break
    last = page.names[page.names.length - 1]
  }
  report.durationMs = clock() - startedAt
  return report
}
