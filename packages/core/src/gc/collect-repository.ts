import { isDriverError } from '../driver/driver-error.js'
import { toDigest, type Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { parseManifest } from '../manifests/parse-manifest.js'
import { toLocationTombstone } from '../stores/blob-store.js'
import { readJson } from '../stores/json-objects.js'
import type { BloomFilter } from './bloom-filter.js'
import { isPastGrace, type GcContext } from './gc-types.js'
import { mapLimited } from '../stores/map-limited.js'
import { forEachKey, GC_CONCURRENCY, listKeys, toDigestString } from './listing.js'
import { registry2OnlyTags } from './sweep-registry2.js'

/** A live revision as marked: what it points at and the version the sweep compares-and-swaps against. */
interface Revision {
  etag: string
  young: boolean
  children: string[]
  blobs: string[]
  subject?: string
}

interface Link {
  etag: string
  modified: Date | undefined
}

/** Step 1: every live link of the repository with its ETag, read before any revision is listed. */
async function snapshotLinks(ctx: GcContext, repository: string): Promise<Map<string, Link>> {
  const links = new Map<string, Link>()
  await forEachKey(listKeys(ctx.driver, keys.layersPrefix(repository), ctx.signal), async (key) => {
    const found = await readJson<{ deleted?: true }>(ctx.driver, key)
    if (found && !found.value.deleted) links.set(toDigestString(key), { etag: found.etag, modified: found.modified })
  })
  return links
}

/** Step 2: the digests live tags point at. */
async function taggedDigests(ctx: GcContext, repository: string): Promise<Set<string>> {
  const tagged = new Set<string>()
  let last: string | undefined
  for (;;) {
    const page = await ctx.stores.tags.list(repository, 1000, last)
    await mapLimited(page.tags, GC_CONCURRENCY, async (tag) => {
      const state = await ctx.stores.tags.read(repository, tag)
      if (state?.digest) tagged.add(state.digest)
    })
    if (!page.more || page.tags.length === 0) return tagged
    last = page.tags[page.tags.length - 1]
  }
}

/** Step 3: every live revision, parsed (its modification time decides whether grace protects it). */
async function readRevisions(ctx: GcContext, repository: string): Promise<Map<string, Revision>> {
  const revisions = new Map<string, Revision>()
  await forEachKey(listKeys(ctx.driver, keys.revisionsPrefix(repository), ctx.signal), async (key) => {
    const digest = toDigest(toDigestString(key))
    const info = await ctx.driver.stat(key)
    const state = digest && info ? await ctx.stores.manifests.read(repository, digest) : undefined
    if (!digest || !info || !state?.manifest) return
    let parsed: ReturnType<typeof parseManifest> | undefined
    try {
      parsed = parseManifest(state.manifest.bytes, state.manifest.mediaType)
    } catch {
      parsed = undefined // Stored once valid; if it no longer parses, it points at nothing we can see.
    }
    revisions.set(digest.value, {
      // A revision rewritten between the stat and the read is in use right now: young.
      etag: state.etag,
      young: info.etag !== state.etag || !isPastGrace(ctx, info.modified),
      children: parsed?.manifests.map((d) => d.digest.value) ?? [],
      blobs: parsed?.blobs.map((d) => d.digest.value) ?? [],
      ...(parsed?.subject ? { subject: parsed.subject.digest.value } : {}),
    })
  })
  return revisions
}

/** Step 4: what stays — tagged, young, (unless deleting untagged) everything, and all they reach. */
function markKept(ctx: GcContext, revisions: Map<string, Revision>, tagged: Set<string>): Set<string> {
  const kept = new Set<string>()
  const referrers = new Map<string, string[]>()
  for (const [digest, revision] of revisions) {
    if (revision.subject) referrers.set(revision.subject, [...(referrers.get(revision.subject) ?? []), digest])
  }
  const work = [...revisions.keys()].filter((d) => tagged.has(d) || revisions.get(d)!.young || !ctx.deleteUntagged)
  while (work.length > 0) {
    const digest = work.pop()!
    if (kept.has(digest) || !revisions.has(digest)) continue
    kept.add(digest)
    work.push(...revisions.get(digest)!.children)
    if (ctx.keepReferrers) work.push(...(referrers.get(digest) ?? []))
  }
  return kept
}

/**
 * Marks and sweeps one repository (layout/garbage-collection.md, steps 1–6) and adds every blob it
 * still links to `linked`. Memory: the repository's links, tags and revision edges, nothing more.
 */
export async function collectRepository(ctx: GcContext, repository: string, linked: BloomFilter): Promise<void> {
  const links = await snapshotLinks(ctx, repository)
  const tagged = await taggedDigests(ctx, repository)
  // registry:2 tags wharf holds no object for (not adopted by `migrate`) are roots too.
  if (ctx.registry2) for (const digest of await registry2OnlyTags(ctx, ctx.registry2, repository)) tagged.add(digest)
  const revisions = await readRevisions(ctx, repository)
  const kept = markKept(ctx, revisions, tagged)

  const unkept = [...revisions].filter(([digest]) => !kept.has(digest))
  await mapLimited(unkept, GC_CONCURRENCY, async ([digest, revision]) => {
    if (ctx.dryRun || (await ctx.stores.manifests.tombstone(repository, toDigest(digest)!, revision.etag)) !== undefined) ctx.report.manifestsDeleted++
  })

  const referenced = new Set<string>()
  const unlinked: Digest[] = []
  for (const digest of kept) for (const blob of revisions.get(digest)!.blobs) referenced.add(blob)
  // registry:2 keeps a manifest's bytes as a blob: kept manifests keep them (a rollback reads them).
  if (ctx.registry2) for (const digest of kept) linked.add(digest)
  await mapLimited([...links], GC_CONCURRENCY, async ([digest, link]) => {
    if (referenced.has(digest) || !isPastGrace(ctx, link.modified)) return linked.add(digest)
    if (ctx.dryRun) {
      ctx.report.linksDeleted++
      return
    }
    try {
      await ctx.driver.put(keys.layerLink(repository, toDigest(digest)!), toLocationTombstone(), { ifMatch: link.etag })
      ctx.report.linksDeleted++
      unlinked.push(toDigest(digest)!)
    } catch (error) {
      // Touched by a push since step 1: it is in use.
      if (!isDriverError(error, 'precondition-failed')) throw error
      linked.add(digest)
    }
  })
  // One update of the repository's usage record for all its links (a crash before it leaves the
  // figures high until `usage({ rebuild: true })`, as a crash between a tombstone and its update did).
  if (unlinked.length > 0) await ctx.stores.usage.reconcileLinks(repository, unlinked)
}
