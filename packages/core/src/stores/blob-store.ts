import type { StorageDriver, ReadOptions } from '../driver/storage-driver.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes, createOnce } from './json-objects.js'
import type { CatalogStore } from './catalog-store.js'
import type { Registry2Files } from '../registry2/registry2-files.js'
import { isRegistry2Key } from '../registry2/registry2-layout.js'
import type { Registry2Reader } from '../registry2/registry2-reader.js'

/** Where a blob's bytes are and how many there are. Blob records and repository links both hold it. */
export interface BlobLocation {
  size: number
  /** Storage key of the bytes (`data/<upload-id>`, or registry:2's `docker/registry/v2/blobs/.../data`). */
  key: string
}

/** A link removed while registry:2's tree links the same blob: it shadows that link (never deleted). */
interface LinkTombstone {
  deleted: true
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
      const found = await readJson<BlobLocation | LinkTombstone>(driver, key)
      const value = found ? found.value : await (await fallback())?.layer(repository, digest)
      if (!value || 'deleted' in value) {
        cache.delete(key)
        return undefined
      }
      remember(key, value)
      return value
    },

    async commit(repository, digest, location) {
      const recordKey = keys.blobRecord(digest)
      let stored = location
      // Bytes registry:2 already holds are not kept twice: the record points at registry:2's copy.
      const known = (await readJson<BlobLocation>(driver, recordKey))?.value ?? (await (await fallback())?.blob(digest))
      if (known?.size === location.size && known.key !== location.key && isRegistry2Key(known.key)) {
        await createOnce(driver, recordKey, toJsonBytes(known))
      }
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
      const found = await readJson<BlobLocation | LinkTombstone>(driver, key)
      const reader = await fallback()
      const behind = reader ? await reader.layer(repository, digest) : undefined
      const existed = found ? !('deleted' in found.value) : behind !== undefined
      if (behind) await driver.put(key, toJsonBytes({ deleted: true } satisfies LinkTombstone))
      else if (found) await driver.delete(key)
      cache.delete(key)
      return existed
    },

    open(location, readOptions) {
      if (isRegistry2Key(location.key) && options.registry2) return options.registry2.files.read(location.key, readOptions)
      return driver.read(location.key, readOptions)
    },
  }
}
