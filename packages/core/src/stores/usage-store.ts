import { randomBytes, randomInt } from 'node:crypto'
import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes } from './json-objects.js'
import { mapLimited } from './map-limited.js'

/** Deduplicated bytes and the number of distinct blobs they are made of. */
export interface UsageFigures {
  bytes: number
  blobs: number
}

/**
 * Storage usage, kept up to date as links and blob records change, so reading it is one object
 * per repository (and eight for the total), never a walk of the blobs.
 *
 * ## What is counted ("deduplicated")
 *
 * - A **repository** counts each blob linked in it once, whatever number of manifests, tags or
 *   pushes refer to it: that is what a quota charges. Manifests themselves (stored as revisions,
 *   at most `maxManifestBytes` each) are not counted.
 * - A **namespace** (`team-a` for `team-a/app` and `team-a/app/cache`) is the sum of its
 *   repositories: a blob linked in two of them counts twice there (each repository is charged).
 * - The **total** counts each blob record once, however many repositories link it: the bytes the
 *   storage holds for content wharf committed (upload data not yet committed is not counted;
 *   registry:2 content served in place counts once something links or commits it through wharf).
 *
 * ## How it stays exact under races
 *
 * Each (repository, blob) pair has a charge marker, each blob record one too, saying whether it is
 * counted and for how many bytes. After a link or record changes, its writer calls `reconcile*`:
 * it reads the marker, then the link (or record) as it is now, and writes the marker by
 * compare-and-swap — always, even when nothing changed, so that a reconciler that read an older
 * state fails its swap and reads again — then applies the difference to the usage records by
 * compare-and-swap. The last reconcile after the last change of a link read the link after that
 * change, and any later successful swap read it later still; so markers end equal to the links, and
 * each counting change is applied once. A process dying between the marker write and the record
 * update leaves the record off by that blob until `rebuild` (stores/usage-report.ts).
 *
 * **The garbage collector** calls `reconcileLink(repository, digest)` after it tombstones or
 * removes a link, and `reconcileBlob(digest)` after it tombstones or removes a blob record; both are
 * idempotent and safe to call at any time, from any process.
 */
export interface UsageStore {
  /** The repository's figures as recorded (zero when it has none). */
  repository(repository: string): Promise<UsageFigures>
  /** Each blob record once. */
  total(): Promise<UsageFigures>
  /** Recorded repositories after `last`, with their figures, at most `limit`. */
  list(prefix: string, limit: number, last?: string): Promise<{ repositories: Array<{ repository: string } & UsageFigures>; more: boolean }>
  /** Counts or uncounts the link of `digest` in `repository` to match storage now. */
  reconcileLink(repository: string, digest: Digest): Promise<void>
  /** Counts or uncounts the blob record of `digest` in the total to match storage now. */
  reconcileBlob(digest: Digest): Promise<void>
  /**
   * `reconcileLink` for many links of one repository with one update of its record (the collector
   * sweeps a repository's links in parallel: one record update each would all race on one object).
   */
  reconcileLinks(repository: string, digests: readonly Digest[]): Promise<void>
  /** `reconcileBlob` for many blob records with one update of the total. */
  reconcileBlobs(digests: readonly Digest[]): Promise<void>
  /** Overwrites a repository's record (used by `rebuild`, which recomputed it from the markers). */
  setRepository(repository: string, figures: UsageFigures): Promise<void>
  /** Overwrites the total (used by `rebuild`). */
  setTotal(figures: UsageFigures): Promise<void>
}

/** What the usage store reads to learn whether a link or blob record is live, and its size. */
export interface UsageSources {
  /** The link's size when `digest` is linked in `repository` now (read from storage, no cache). */
  linkSize(repository: string, digest: Digest): Promise<number | undefined>
}

interface Marker {
  size: number
  counted: boolean
  nonce: string
}

interface UsageRecord extends UsageFigures {
  nonce: string
}

/** The total is spread over shards so parallel pushes of different blobs rarely race on one object. */
const TOTAL_SHARDS = 8

const nonce = () => randomBytes(8).toString('hex')

function isPreconditionFailed(error: unknown): boolean {
  return isDriverError(error, 'precondition-failed')
}

export function createUsageStore(driver: StorageDriver, sources: UsageSources): UsageStore {
  async function readFigures(key: string): Promise<UsageFigures> {
    const found = await readJson<UsageRecord>(driver, key)
    return { bytes: found?.value.bytes ?? 0, blobs: found?.value.blobs ?? 0 }
  }

  /** Changes a record by compare-and-swap, retried when another writer got there first. */
  async function update(key: string, change: (current: UsageFigures) => UsageFigures): Promise<void> {
    for (;;) {
      const found = await readJson<UsageRecord>(driver, key)
      const next = change({ bytes: found?.value.bytes ?? 0, blobs: found?.value.blobs ?? 0 })
      try {
        await driver.put(key, toJsonBytes({ ...next, nonce: nonce() } satisfies UsageRecord), found ? { ifMatch: found.etag } : { ifNoneMatch: '*' })
        return
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error
      }
    }
  }

  /** The reconcile step described above, for one marker. Returns the change it counted. */
  async function reconcile(markerKey: string, observe: () => Promise<number | undefined>): Promise<UsageFigures> {
    for (;;) {
      const marker = await readJson<Marker>(driver, markerKey)
      const size = await observe()
      const before = marker?.value.counted ? marker.value.size : undefined
      const next: Marker = { size: size ?? 0, counted: size !== undefined, nonce: nonce() }
      try {
        await driver.put(markerKey, toJsonBytes(next), marker ? { ifMatch: marker.etag } : { ifNoneMatch: '*' })
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error
        continue
      }
      return { bytes: (size ?? 0) - (before ?? 0), blobs: (size === undefined ? 0 : 1) - (before === undefined ? 0 : 1) }
    }
  }

  /** The blob record's size while it is live. */
  async function blobSize(digest: Digest): Promise<number | undefined> {
    const record = await readJson<{ size?: number; deleted?: true }>(driver, keys.blobRecord(digest))
    return record && !record.value.deleted && typeof record.value.size === 'number' ? record.value.size : undefined
  }

  const sum = (deltas: UsageFigures[]) => deltas.reduce((a, b) => ({ bytes: a.bytes + b.bytes, blobs: a.blobs + b.blobs }), { bytes: 0, blobs: 0 })
  const add = (delta: UsageFigures) => (current: UsageFigures) => ({ bytes: current.bytes + delta.bytes, blobs: current.blobs + delta.blobs })
  const isChange = (delta: UsageFigures) => delta.bytes !== 0 || delta.blobs !== 0

  return {
    repository: (repository) => readFigures(keys.usageRecord(repository)),

    async total() {
      const shards = await mapLimited([...Array(TOTAL_SHARDS).keys()], TOTAL_SHARDS, (i) => readFigures(keys.usageTotal(i)))
      return shards.reduce((sum, s) => ({ bytes: sum.bytes + s.bytes, blobs: sum.blobs + s.blobs }), { bytes: 0, blobs: 0 })
    },

    async list(prefix, limit, last) {
      const base = keys.usageRecordsPrefix()
      const page = await driver.list(`${base}${prefix}`, { limit, ...(last === undefined ? {} : { startAfter: keys.usageRecord(last) }) })
      const names = page.keys.map((key) => key.slice(base.length))
      const figures = await mapLimited(names, 16, (name) => readFigures(keys.usageRecord(name)))
      return { repositories: names.map((repository, i) => ({ repository, ...figures[i]! })), more: page.truncated }
    },

    async reconcileLink(repository, digest) {
      const delta = await reconcile(keys.usageLink(repository, digest), () => sources.linkSize(repository, digest))
      if (isChange(delta)) await update(keys.usageRecord(repository), add(delta))
    },

    async reconcileBlob(digest) {
      const delta = await reconcile(keys.usageBlob(digest), () => blobSize(digest))
      if (isChange(delta)) await update(keys.usageTotal(randomInt(TOTAL_SHARDS)), add(delta))
    },

    async reconcileLinks(repository, digests) {
      const deltas = await mapLimited([...digests], 16, (digest) => reconcile(keys.usageLink(repository, digest), () => sources.linkSize(repository, digest)))
      const delta = sum(deltas)
      if (isChange(delta)) await update(keys.usageRecord(repository), add(delta))
    },

    async reconcileBlobs(digests) {
      const deltas = await mapLimited([...digests], 16, (digest) => reconcile(keys.usageBlob(digest), () => blobSize(digest)))
      const delta = sum(deltas)
      if (isChange(delta)) await update(keys.usageTotal(randomInt(TOTAL_SHARDS)), add(delta))
    },

    setRepository: (repository, figures) => update(keys.usageRecord(repository), () => figures),

    async setTotal(figures) {
      await update(keys.usageTotal(0), () => figures)
      for (let i = 1; i < TOTAL_SHARDS; i++) await update(keys.usageTotal(i), () => ({ bytes: 0, blobs: 0 }))
    },
  }
}
