import { randomBytes } from 'node:crypto'
import { isDriverError } from '../driver/driver-error.js'
import type { StorageDriver } from '../driver/storage-driver.js'
import { isFresh } from '../stores/touch-interval.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { parseManifest } from '../manifests/parse-manifest.js'
import { createStores } from '../registry.js'
import type { BlobLocation } from '../stores/blob-store.js'
import { createOnce, readJson, toJsonBytes } from '../stores/json-objects.js'
import type { PushTargets } from '../stores/manifest-index.js'
import { mapLimited } from '../stores/map-limited.js'
import { forEachLimited } from './for-each-limited.js'
import type { Registry2Files } from './registry2-files.js'
import { registry2Paths } from './registry2-layout.js'
import { createRegistry2Source, type Registry2MigrationRecord } from './registry2-source.js'

/** Repositories migrated at once, each with up to `concurrency` storage calls in flight. */
const REPOSITORIES_AT_ONCE = 4

/** Options of {@link migrateRegistry2}. */
export interface MigrateOptions {
  storage: StorageDriver
  files?: Registry2Files
  /** Count what would be written, write nothing. */
  dryRun?: boolean
  /** Storage calls in flight at once. Default 16. */
  concurrency?: number
  /** Called after every item; cheap to ignore. */
  onProgress?: (progress: MigrateProgress) => void
  signal?: AbortSignal
}

/** Where a migration is. `fraction` is the share of blob or repository directories done, for an ETA. */
export interface MigrateProgress {
  phase: 'blobs' | 'repositories'
  items: number
  bytes: number
  written: number
  fraction: number
}

/** What a migration did. A second run over the same tree reports `written: 0`. */
export interface MigrateSummary {
  dryRun: boolean
  /** Where a run interrupted before was picked up (`undefined` when it started from the beginning). */
  resumedAfter?: string
  blobs: number
  bytes: number
  repositories: number
  layers: number
  manifests: number
  tags: number
  /** Objects written (or, in a dry run, that would be). */
  written: number
  /** Manifests registry:2 holds that wharf could not parse (left out). */
  skipped: number
  /** `_uploads` entries left half done; wharf cannot resume registry:2's uploads. */
  uploadsLeft: number
  ms: number
}

/**
 * Writes wharf's records for everything in registry:2's tree under the same root, moving no bytes:
 * blob records and links point at registry:2's `data` files; revisions, tags and referrers entries
 * go through the manifest index's `adopt`, which only creates objects wharf does not have. So a run
 * is idempotent (a second one writes nothing), never revives what was deleted through wharf, and is
 * safe while servers run on the same storage. Listing is streamed (one directory's names at a time),
 * so memory does not grow with the tree. A checkpoint (`migrations/registry2`) lets an interrupted
 * run resume after the last repository it finished; a finished one tells servers in `auto` mode to
 * stop falling back to registry:2's tree.
 */
export async function migrateRegistry2(options: MigrateOptions): Promise<MigrateSummary> {
  const started = Date.now()
  const { storage, signal } = options
  const dryRun = options.dryRun ?? false
  const limit = options.concurrency ?? 16
  const source = createRegistry2Source(storage, { mode: 'off', ...(options.files ? { files: options.files } : {}) })
  const reader = source.reader
  const stores = createStores(storage, {}, source)
  const summary: MigrateSummary = { dryRun, blobs: 0, bytes: 0, repositories: 0, layers: 0, manifests: 0, tags: 0, written: 0, skipped: 0, uploadsLeft: 0, ms: 0 }
  const progress: MigrateProgress = { phase: 'blobs', items: 0, bytes: 0, written: 0, fraction: 0 }
  const tick = (written: number, bytes = 0) => {
    summary.written += written
    Object.assign(progress, { items: progress.items + 1, bytes: progress.bytes + bytes, written: summary.written })
    options.onProgress?.({ ...progress })
  }
  /** Create-only write, or in a dry run whether it would create. */
  const create = async (key: string, body: Uint8Array) => (dryRun ? (await storage.stat(key)) === undefined : createOnce(storage, key, body))

  const previous = (await readJson<Registry2MigrationRecord>(storage, keys.registry2Migration()))?.value
  const resume = previous?.state === 'running' ? previous : undefined
  if (resume?.lastRepository !== undefined) summary.resumedAfter = resume.lastRepository
  const record: Registry2MigrationRecord = resume ?? { state: 'running', startedAt: new Date().toISOString() }
  const checkpoint = async (change: Partial<Registry2MigrationRecord>) => {
    Object.assign(record, change)
    if (!dryRun) await storage.put(keys.registry2Migration(), toJsonBytes(record))
  }
  await checkpoint({})

  // Blobs first: links and revisions below point at the records written here.
  if (!resume?.blobsDone) {
    const dirs = await countChildren(source.files, registry2Paths.blobsDir())
    let dirsDone = 0
    let currentDir: string | undefined
    await forEachLimited(reader.blobs(), limit, signal, async (digest) => {
      if (digest.hex.slice(0, 2) !== currentDir) {
        if (currentDir !== undefined) dirsDone++
        currentDir = digest.hex.slice(0, 2)
        progress.fraction = dirs === 0 ? 1 : dirsDone / dirs
      }
      // A `<hex>/` directory without `data` (bytes removed by hand) is not a blob.
      const location = await reader.blob(digest)
      if (!location) return
      summary.blobs++
      summary.bytes += location.size
      tick((await create(keys.blobRecord(digest), toJsonBytes(location))) ? 1 : 0, location.size)
    })
    await checkpoint({ blobsDone: true })
  }

  progress.phase = 'repositories'
  progress.fraction = 0
  const topLevel = await countChildren(source.files, registry2Paths.repositoriesDir())
  const seenTop = new Set<string>()
  // Repositories are migrated a few at a time (on S3 each one is a chain of round trips); the
  // checkpoint names the last repository before which every one, in walk order, is finished.
  const inFlight: { name: string; done: boolean }[] = []
  let finished: string | undefined
  let sinceCheckpoint = 0
  let checkpoints = Promise.resolve()
  await forEachLimited(reader.repositories(resume?.lastRepository), REPOSITORIES_AT_ONCE, signal, async (name) => {
    const entry = { name, done: false }
    inFlight.push(entry)
    seenTop.add(name.split('/')[0]!)
    progress.fraction = topLevel === 0 ? 1 : Math.min(1, (seenTop.size - 1) / topLevel)
    await migrateRepository(name)
    entry.done = true
    while (inFlight[0]?.done) finished = inFlight.shift()!.name
    if (++sinceCheckpoint >= 100 && finished !== undefined) {
      sinceCheckpoint = 0
      const lastRepository = finished
      checkpoints = checkpoints.then(() => checkpoint({ lastRepository }))
      await checkpoints
    }
  })
  summary.ms = Date.now() - started
  await checkpoint({ state: 'done', finishedAt: new Date().toISOString(), written: summary.written, lastRepository: undefined })
  return summary

  /** Catalog entry, layer links, then revisions with their tags and referrers entries. */
  async function migrateRepository(name: string): Promise<void> {
    summary.repositories++
    // Never `summary.x += await …`: it reads `x` before awaiting, losing what other repositories add meanwhile.
    const listed = await create(keys.catalogEntry(name), new Uint8Array(0))
    summary.written += listed ? 1 : 0

    await forEachLimited(reader.links(name, 'layers'), limit, signal, async (digest) => {
      const location = await linkTarget(digest)
      if (!location || !(await reader.layer(name, digest))) return
      summary.layers++
      tick((await create(keys.layerLink(name, digest), toJsonBytes(location))) ? 1 : 0)
    })

    const tags = await reader.tags(name)
    const digests = await mapLimited(tags, limit, (tag) => reader.tag(name, tag))
    const tagsOf = new Map<string, string[]>()
    tags.forEach((tag, i) => {
      const digest = digests[i]
      if (digest !== undefined) tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), tag])
    })
    await forEachLimited(reader.links(name, 'revisions'), limit, signal, async (digest) => {
      // An empty `<hex>/` directory is what registry:2's DELETE leaves: not a revision.
      const manifest = await reader.revision(name, digest)
      if (!manifest) return
      const targets = toTargets(digest, manifest.bytes, tagsOf.get(digest.value) ?? [])
      if (!targets) return void summary.skipped++
      summary.manifests++
      summary.tags += targets.tags.length
      tick(dryRun ? ((await storage.stat(keys.manifestRevision(name, digest))) ? 0 : 1 + targets.tags.length) : await stores.index.adopt(name, digest, manifest, targets))
    })
    const uploads = await reader.uploads(name)
    summary.uploadsLeft += uploads
  }

  /**
   * The location a link gets: the blob record's (wharf may hold the blob already), else registry:2's
   * bytes; none when the record is a tombstone (the collector took the blob). A live record is
   * touched, as a mount touches it, so a collector that found the blob unlinked fails to remove it.
   */
  async function linkTarget(digest: Digest): Promise<BlobLocation | undefined> {
    const found = await readJson<BlobLocation | { deleted: true }>(storage, keys.blobRecord(digest))
    if (!found) return reader.blob(digest)
    if ('deleted' in found.value) return undefined
    const location = { size: found.value.size, key: found.value.key }
    if (!dryRun && !isFresh(found.modified)) await storage.put(keys.blobRecord(digest), toJsonBytes({ ...location, nonce: randomBytes(8).toString('hex') }), { ifMatch: found.etag }).catch(ignorePrecondition)
    return location
  }
}

/** The tags and referrers entry of an adopted manifest; `undefined` when wharf cannot parse it. */
function toTargets(digest: Digest, bytes: Uint8Array, tags: string[]): PushTargets | undefined {
  let parsed
  try {
    parsed = parseManifest(bytes, null)
  } catch {
    return undefined
  }
  if (!parsed.subject) return { tags }
  const descriptor = {
    mediaType: parsed.mediaType,
    digest: digest.value,
    size: bytes.length,
    ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
    ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
  }
  return { tags, referrer: { subject: parsed.subject.digest, descriptor } }
}

/** A touch that lost to another writer still did its job: the record's ETag changed. */
function ignorePrecondition(error: unknown): void {
  if (!isDriverError(error, 'precondition-failed')) throw error
}

async function countChildren(files: Registry2Files, dir: string): Promise<number> {
  let n = 0
  for await (const _ of files.children(dir)) n++
  return n
}
