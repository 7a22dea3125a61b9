import { toDigest, type Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { parseManifest } from '../manifests/parse-manifest.js'
import { registry2Paths as paths } from '../registry2/registry2-layout.js'
import { createOnce, readJson } from '../stores/json-objects.js'
import { toLocationTombstone } from '../stores/blob-store.js'
import { forEachLimited } from '../registry2/for-each-limited.js'
import type { BloomFilter } from './bloom-filter.js'
import { isPastGrace, type GcContext, type GcRegistry2 } from './gc-types.js'
import { GC_CONCURRENCY } from './listing.js'

/** What wharf holds for a registry:2 entry: the fallback rule says a live or tombstoned object of wharf's wins. */
type Shadow = 'absent' | 'tombstone' | 'live'

async function tagShadow(ctx: GcContext, repository: string, tag: string): Promise<Shadow> {
  const found = await readJson<{ digest: string | null }>(ctx.driver, keys.tag(repository, tag))
  return !found ? 'absent' : found.value.digest ? 'live' : 'tombstone'
}

async function linkShadow(ctx: GcContext, key: string): Promise<Shadow> {
  const found = await readJson<{ deleted?: true }>(ctx.driver, key)
  return !found ? 'absent' : found.value.deleted ? 'tombstone' : 'live'
}

async function revisionShadow(ctx: GcContext, repository: string, digest: Digest): Promise<Shadow> {
  const state = await ctx.stores.manifests.read(repository, digest)
  return !state ? 'absent' : state.manifest ? 'live' : 'tombstone'
}

/** The directory holding a `.../link` or `.../data` file: what registry:2 creates per entry. */
const entryDir = (path: string) => path.slice(0, path.lastIndexOf('/'))

/**
 * The digests registry:2's tags of `repository` point at where wharf has no tag object at all (a
 * tag `migrate` did not adopt): roots for the marking of wharf's revisions, like wharf's own tags.
 */
export async function registry2OnlyTags(ctx: GcContext, r2: GcRegistry2, repository: string): Promise<Set<string>> {
  const roots = new Set<string>()
  for (const tag of await r2.reader.tags(repository)) {
    // Only whether wharf has any object matters here: a stat, not a read.
    if ((await ctx.driver.stat(keys.tag(repository, tag))) !== undefined) continue
    const digest = await r2.reader.tag(repository, tag)
    if (digest) roots.add(digest)
  }
  return roots
}

/**
 * Adds a registry:2 manifest wharf never adopted, and everything it references (index children
 * recursively, config, layers), to `linked`: their registry:2 bytes and wharf records stay.
 */
async function markRegistry2Manifest(r2: GcRegistry2, digest: Digest, linked: BloomFilter, seen: Set<string>): Promise<void> {
  if (seen.has(digest.value)) return
  seen.add(digest.value)
  linked.add(digest.value)
  const bytes = await r2.files.get(paths.blobData(digest))
  if (!bytes) return
  let parsed: ReturnType<typeof parseManifest>
  try {
    parsed = parseManifest(bytes, null)
  } catch {
    return // Not a manifest wharf understands: only its own bytes are known to be needed.
  }
  for (const blob of parsed.blobs) linked.add(blob.digest.value)
  for (const child of parsed.manifests) await markRegistry2Manifest(r2, child.digest, linked, seen)
}

/**
 * The registry:2 part of marking and sweeping, per registry:2 repository (layout/garbage-collection.md,
 * step R): entries wharf shadows with a tombstone are removed (wharf will never read them again);
 * entries wharf has no object for are roots, and what they reach goes into `linked`; idle
 * `_uploads` go. Runs before step 7, so the blob records and bytes they need are kept there.
 */
export async function sweepRegistry2Repositories(ctx: GcContext, r2: GcRegistry2, linked: BloomFilter): Promise<void> {
  const remove = async (path: string) => {
    ctx.report.registry2FilesDeleted = (ctx.report.registry2FilesDeleted ?? 0) + 1
    if (!ctx.dryRun) await r2.files.remove!(path)
  }
  for await (const repository of r2.reader.repositories()) {
    ctx.signal?.throwIfAborted()
    const seen = new Set<string>()
    for (const tag of await r2.reader.tags(repository)) {
      const shadow = await tagShadow(ctx, repository, tag)
      if (shadow === 'tombstone') await remove(`${paths.tagsDir(repository)}/${tag}`)
      const digest = shadow === 'absent' ? toDigest((await r2.reader.tag(repository, tag)) ?? '') : undefined
      if (digest) await markRegistry2Manifest(r2, digest, linked, seen)
    }
    await forEachLimited(r2.reader.links(repository, 'revisions'), GC_CONCURRENCY, ctx.signal, async (digest) => {
      const shadow = await revisionShadow(ctx, repository, digest)
      if (shadow === 'tombstone') await remove(entryDir(paths.revisionLink(repository, digest)))
      else if (shadow === 'absent') await markRegistry2Manifest(r2, digest, linked, seen)
    })
    await forEachLimited(r2.reader.links(repository, 'layers'), GC_CONCURRENCY, ctx.signal, async (digest) => {
      const shadow = await linkShadow(ctx, keys.layerLink(repository, digest))
      if (shadow === 'tombstone') await remove(entryDir(paths.layerLink(repository, digest)))
      else if (shadow === 'absent') linked.add(digest.value)
    })
    // Half-done registry:2 uploads: wharf cannot resume them and registry:2 no longer runs.
    for await (const id of r2.files.children(paths.uploadsDir(repository))) {
      const dir = `${paths.uploadsDir(repository)}/${id}`
      const started = (await r2.files.modified!(`${dir}/startedat`)) ?? (await r2.files.modified!(dir))
      if (isPastGrace(ctx, started)) await remove(dir)
    }
  }
}

/**
 * Step R (bytes): registry:2 blob files that no kept link reaches (`linked`), no kept blob record
 * points at (`referenced`), whose wharf record is a tombstone or absent (then fenced with a
 * create-only tombstone first, so a concurrent `migrate` cannot record them), and older than the
 * grace period. Runs after step 7, which removes the bytes of the records it tombstones itself.
 */
export async function sweepRegistry2Blobs(ctx: GcContext, r2: GcRegistry2, linked: BloomFilter, referenced: BloomFilter): Promise<void> {
  await forEachLimited(r2.reader.blobs(), GC_CONCURRENCY, ctx.signal, async (digest) => {
    const path = paths.blobData(digest)
    if (linked.has(digest.value) || referenced.has(path)) return
    const record = await readJson<{ deleted?: true }>(ctx.driver, keys.blobRecord(digest))
    if (record && !record.value.deleted) return
    const modified = await r2.files.modified!(path)
    if (!isPastGrace(ctx, modified)) return
    const size = await r2.files.size(path)
    if (size === undefined) return
    if (!record && !ctx.dryRun && !(await createOnce(ctx.driver, keys.blobRecord(digest), toLocationTombstone()))) return
    ctx.report.dataObjectsDeleted++
    ctx.report.bytesReclaimed += size
    if (!ctx.dryRun) await r2.files.remove!(entryDir(path))
  })
}

/** Step 7's removal of bytes a tombstoned record pointed at in registry:2's tree (`false`: not collected). */
export async function removeRegistry2Data(ctx: GcContext, key: string): Promise<boolean> {
  const r2 = ctx.registry2
  if (!r2) return false
  if (!ctx.dryRun) await r2.files.remove!(entryDir(key))
  return true
}
