import { randomBytes } from 'node:crypto'
import type { StorageDriver, ReadOptions } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { isFresh } from './touch-interval.js'
import { readJson, toJsonBytes, createOnce } from './json-objects.js'
import type { CatalogStore } from './catalog-store.js'
import type { Registry2Files } from '../registry2/registry2-files.js'
import { isRegistry2Key } from '../registry2/registry2-layout.js'
import type { Registry2Reader } from '../registry2/registry2-reader.js'
import { createSmallBlobCache } from './small-blob-cache.js'

/** Where a blob's bytes are and how many there are. Blob records and repository links both hold it. */
export interface BlobLocation {
  size: number
  /** Storage key of the bytes (`data/<upload-id>`, or registry:2's `docker/registry/v2/blobs/.../data`). */
  key: string
}

/**
 * A link or blob record that was removed by compare-and-swap: it fences writers that read the old
 * version (their own compare-and-swap fails) and shadows registry:2's entry for the same blob.
 */
interface LinkTombstone {
  deleted: true
  nonce?: string
}

/** What a link or blob record object holds; the nonce makes every write's ETag new (S3's is the MD5). */
type StoredLocation = (BlobLocation & { nonce?: string }) | LinkTombstone

const nonce = () => randomBytes(8).toString('hex')
const toStored = (location: BlobLocation): Uint8Array => toJsonBytes({ size: location.size, key: location.key, nonce: nonce() })
/** The bytes of a link or record tombstone. */
export const toLocationTombstone = (): Uint8Array => toJsonBytes({ deleted: true, nonce: nonce() } satisfies LinkTombstone)
const isTombstone = (value: StoredLocation): value is LinkTombstone => 'deleted' in value
const toLocation = (value: BlobLocation): BlobLocation => ({ size: value.size, key: value.key })

/**
 * Content-addressed blobs and the per-repository links that make them readable.
 *
 * A blob exists globally once (`blobs/<alg>/..`, create-only, pointing at the bytes an upload wrote);
 * a repository can read it only through its own link (`repositories/<name>/_layers/..`), written by a
 * push or a mount. Links are cached in memory: they change only through this store, and a delete
 * clears the cache entry (other processes may serve a deleted link for at most `linkCacheMs`).
 */
export interface BlobStore {
  /**
   * The blob as seen through `repository`, or `undefined` when it is not linked there. With `fresh`
   * the link is read from storage, not the cache: a manifest push checks its blobs that way, so a
   * blob deleted by another process just before is not taken as present.
   */
  linked(repository: string, digest: Digest, options?: { fresh?: boolean }): Promise<BlobLocation | undefined>
  /** Makes finished bytes at `location.key` the blob `digest`, linked into `repository`. */
  commit(repository: string, digest: Digest, location: BlobLocation): Promise<BlobLocation>
  /**
   * The link as `linked(fresh)`, rewritten first when it is older than `TOUCH_INTERVAL_MS`,
   * so a collector that read it earlier fails its compare-and-swap: a manifest push calls this for
   * every blob it references, which closes the "HEAD, then GC, then PUT" race.
   */
  touch(repository: string, digest: Digest): Promise<BlobLocation | undefined>
  /** Links an existing blob of `from` into `repository`; `undefined` when `from` has no such blob. */
  mount(repository: string, from: string, digest: Digest): Promise<BlobLocation | undefined>
  /** Removes the link (the bytes stay for a garbage collector). Returns whether a link existed. */
  unlink(repository: string, digest: Digest): Promise<boolean>
  open(location: BlobLocation, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>
  /**
   * The whole bytes of a blob of at most `SMALL_BLOB_BYTES`, from a memory cache when there
   * (see small-blob-cache.ts). The caller compares the length with `location.size`.
   */
  readSmall(location: BlobLocation): Promise<Uint8Array>
}

export interface BlobStoreOptions {
  /** How long a link read from storage may be reused without reading it again. Default 5 s. */
  linkCacheMs?: number
  /**
   * registry:2's tree under the same root: `files` reads bytes that blob records point at there;
   * `fallback` resolves to the reader to consult when wharf has no link or record (`undefined` when
   * the fallback is off).
   */
  registry2?: { files: Registry2Files; fallback: () => Promise<Registry2Reader | undefined> }
}

export function createBlobStore(driver: StorageDriver, catalog: CatalogStore, options: BlobStoreOptions = {}): BlobStore {
  const ttl = options.linkCacheMs ?? 5000
  const cache = new Map<string, { location: BlobLocation; until: number }>()
  const maxCached = 50_000
  const fallback = async () => options.registry2?.fallback()
  const small = createSmallBlobCache()

  const remember = (key: string, location: BlobLocation) => {
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string)
    cache.set(key, { location, until: Date.now() + ttl })
  }

  async function link(repository: string, digest: Digest, location: BlobLocation): Promise<void> {
    const key = keys.layerLink(repository, digest)
    await driver.put(key, toStored(location))
    remember(key, location)
    await catalog.ensure(repository)
  }

  /**
   * Reads a link or record and rewrites it when older than TOUCH_INTERVAL_MS, by compare-and-swap
   * (retried when another writer got there first). `undefined` when absent or a tombstone.
   */
  async function touchObject(key: string): Promise<BlobLocation | undefined> {
    for (;;) {
      const found = await readJson<StoredLocation>(driver, key)
      if (!found || isTombstone(found.value)) return undefined
      const location = toLocation(found.value)
      if (isFresh(found.modified)) return location
      try {
        await driver.put(key, toStored(location), { ifMatch: found.etag })
        return location
      } catch (error) {
        if (!isDriverError(error, 'precondition-failed')) throw error
      }
    }
  }

  /** The blob record to use for `location`'s bytes: an existing live one (touched), or ours. */
  async function settleRecord(digest: Digest, location: BlobLocation): Promise<BlobLocation> {
    const recordKey = keys.blobRecord(digest)
    for (;;) {
      const existing = await readJson<StoredLocation>(driver, recordKey)
      try {
        if (!existing) {
          await driver.put(recordKey, toStored(location), { ifNoneMatch: '*' })
          return location
        }
        if (isTombstone(existing.value)) {
          // Collected before: our bytes become the blob again.
          await driver.put(recordKey, toStored(location), { ifMatch: existing.etag })
          return location
        }
      } catch (error) {
        if (!isDriverError(error, 'precondition-failed')) throw error
        continue
      }
      const touched = await touchObject(recordKey)
      if (touched) return touched
    }
  }

  return {
    async linked(repository, digest, linkOptions) {
      const key = keys.layerLink(repository, digest)
      const hit = cache.get(key)
      if (hit && hit.until > Date.now() && !linkOptions?.fresh) return hit.location
      const found = await readJson<StoredLocation>(driver, key)
      const value = found ? found.value : await (await fallback())?.layer(repository, digest)
      if (!value || isTombstone(value)) {
        cache.delete(key)
        return undefined
      }
      const location = toLocation(value)
      remember(key, location)
      return location
    },

    async touch(repository, digest) {
      const key = keys.layerLink(repository, digest)
      // Only wharf's own links are collected; registry:2's are read as they are.
      const location = (await touchObject(key)) ?? (await this.linked(repository, digest, { fresh: true }))
      if (location) remember(key, location)
      else cache.delete(key)
      return location
    },

    async commit(repository, digest, location) {
      // Bytes registry:2 already holds are not kept twice: the record points at registry:2's copy.
      const recordKey = keys.blobRecord(digest)
      if (!(await readJson<StoredLocation>(driver, recordKey))) {
        const known = await (await fallback())?.blob(digest)
        if (known?.size === location.size && known.key !== location.key && isRegistry2Key(known.key)) {
          await createOnce(driver, recordKey, toStored(known))
        }
      }
      const stored = await settleRecord(digest, location)
      // Someone committed the same content first: keep theirs, drop our copy of the bytes.
      if (stored.key !== location.key) await driver.delete(location.key)
      await link(repository, digest, stored)
      return stored
    },

    async mount(repository, from, digest) {
      const source = await this.linked(from, digest, { fresh: true })
      if (!source) return undefined
      // Touch the record so a collector that found the blob unlinked everywhere fails to remove it;
      // a record already collected means the bytes may be going: no mount (the client uploads).
      // registry:2's bytes too have a record once migrated (the collector may remove them then);
      // only while reads fall back to registry:2's tree, which is never collected, may there be none.
      const recordKey = keys.blobRecord(digest)
      const record =
        (await touchObject(recordKey)) ?? (isRegistry2Key(source.key) && (await fallback()) && !(await driver.stat(recordKey)) ? source : undefined)
      if (!record) return undefined
      await link(repository, digest, record)
      return record
    },

    async unlink(repository, digest) {
      const key = keys.layerLink(repository, digest)
      cache.delete(key)
      const found = await readJson<StoredLocation>(driver, key)
      const reader = await fallback()
      const behind = reader ? await reader.layer(repository, digest) : undefined
      const existed = found ? !isTombstone(found.value) : behind !== undefined
      // A tombstone, not a delete: it shadows registry:2's link, and its fresh modification time tells
      // a collector emptying the repository that it was written to just now (gc/sweep-catalog.ts).
      if (behind || (found && !isTombstone(found.value))) await driver.put(key, toLocationTombstone())
      cache.delete(key)
      return existed
    },

    open(location, readOptions) {
      if (isRegistry2Key(location.key) && options.registry2) return options.registry2.files.read(location.key, readOptions)
      return driver.read(location.key, readOptions)
    },

    readSmall(location) {
      return small.get(location.key, location.size, async () => {
        if (isRegistry2Key(location.key) && options.registry2) {
          return new Uint8Array(await new Response(await options.registry2.files.read(location.key)).arrayBuffer())
        }
        return (await driver.get(location.key)).body
      })
    },
  }
}
