import type { StorageDriver, ReadOptions } from '../driver/storage-driver.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes, createOnce } from './json-objects.js'
import type { CatalogStore } from './catalog-store.js'

/** Where a blob's bytes are and how many there are. Blob records and repository links both hold it. */
export interface BlobLocation {
  size: number
  /** Storage key of the bytes (`data/<upload-id>`). */
  key: string
}

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
  /** Links an existing blob of `from` into `repository`; `undefined` when `from` has no such blob. */
  mount(repository: string, from: string, digest: Digest): Promise<BlobLocation | undefined>
  /** Removes the link (the bytes stay for a garbage collector). Returns whether a link existed. */
  unlink(repository: string, digest: Digest): Promise<boolean>
  open(location: BlobLocation, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>
}

export interface BlobStoreOptions {
  /** How long a link read from storage may be reused without reading it again. Default 5 s. */
  linkCacheMs?: number
}

export function createBlobStore(driver: StorageDriver, catalog: CatalogStore, options: BlobStoreOptions = {}): BlobStore {
  const ttl = options.linkCacheMs ?? 5000
  const cache = new Map<string, { location: BlobLocation; until: number }>()
  const maxCached = 50_000

  const remember = (key: string, location: BlobLocation) => {
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string)
    cache.set(key, { location, until: Date.now() + ttl })
  }

  async function link(repository: string, digest: Digest, location: BlobLocation): Promise<void> {
    const key = keys.layerLink(repository, digest)
    await driver.put(key, toJsonBytes(location))
    remember(key, location)
    await catalog.ensure(repository)
  }

  return {
    async linked(repository, digest, linkOptions) {
      const key = keys.layerLink(repository, digest)
      const hit = cache.get(key)
      if (hit && hit.until > Date.now() && !linkOptions?.fresh) return hit.location
      const found = await readJson<BlobLocation>(driver, key)
      if (!found) {
        cache.delete(key)
        return undefined
      }
      remember(key, found.value)
      return found.value
    },

    async commit(repository, digest, location) {
      const recordKey = keys.blobRecord(digest)
      let stored = location
      if (!(await createOnce(driver, recordKey, toJsonBytes(location)))) {
        // Someone committed the same content first: keep theirs, drop our copy of the bytes.
        const existing = await readJson<BlobLocation>(driver, recordKey)
        if (existing && existing.value.key !== location.key) {
          stored = existing.value
          await driver.delete(location.key)
        }
      }
      await link(repository, digest, stored)
      return stored
    },

    async mount(repository, from, digest) {
      const source = await this.linked(from, digest)
      if (!source) return undefined
      await link(repository, digest, source)
      return source
    },

    async unlink(repository, digest) {
      const key = keys.layerLink(repository, digest)
      cache.delete(key)
      const existed = (await driver.stat(key)) !== undefined
      if (existed) await driver.delete(key)
      return existed
    },

    open(location, readOptions) {
      return driver.read(location.key, readOptions)
    },
  }
}
