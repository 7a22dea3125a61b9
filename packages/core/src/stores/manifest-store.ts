import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'

/** A stored manifest: its media type and the exact bytes that were pushed. */
export interface StoredManifest {
  mediaType: string
  bytes: Uint8Array
}

/**
 * Manifest revisions of a repository, stored byte-for-byte as pushed, one object each:
 * `"<media type>\n"` followed by the manifest bytes, so a pull is one read. Revisions are immutable
 * (the key is their digest), so reads are cached in memory for a short while.
 */
export interface ManifestStore {
  get(repository: string, digest: Digest): Promise<StoredManifest | undefined>
  exists(repository: string, digest: Digest): Promise<boolean>
  put(repository: string, digest: Digest, manifest: StoredManifest): Promise<void>
  /** Returns whether the revision existed. */
  delete(repository: string, digest: Digest): Promise<boolean>
}

export interface ManifestStoreOptions {
  /** How long a read revision is served from memory. Default 5 s. */
  cacheMs?: number
  /** Largest total bytes kept in the cache. Default 32 MiB. */
  cacheBytes?: number
}

const NEWLINE = 0x0a
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function createManifestStore(driver: StorageDriver, options: ManifestStoreOptions = {}): ManifestStore {
  const ttl = options.cacheMs ?? 5000
  const maxBytes = options.cacheBytes ?? 32 * 1024 * 1024
  const cache = new Map<string, { manifest: StoredManifest; until: number }>()
  let cachedBytes = 0

  const forget = (key: string) => {
    const hit = cache.get(key)
    if (hit) {
      cachedBytes -= hit.manifest.bytes.length
      cache.delete(key)
    }
  }
  const remember = (key: string, manifest: StoredManifest) => {
    forget(key)
    while (cachedBytes + manifest.bytes.length > maxBytes && cache.size > 0) forget(cache.keys().next().value as string)
    if (manifest.bytes.length > maxBytes) return
    cache.set(key, { manifest, until: Date.now() + ttl })
    cachedBytes += manifest.bytes.length
  }

  return {
    async get(repository, digest) {
      const key = keys.manifestRevision(repository, digest)
      const hit = cache.get(key)
      if (hit && hit.until > Date.now()) return hit.manifest
      try {
        const { body } = await driver.get(key)
        const split = body.indexOf(NEWLINE)
        const manifest = { mediaType: decoder.decode(body.subarray(0, split)), bytes: body.subarray(split + 1) }
        remember(key, manifest)
        return manifest
      } catch (error) {
        if (isDriverError(error, 'not-found')) {
          forget(key)
          return undefined
        }
        throw error
      }
    },

    async exists(repository, digest) {
      const key = keys.manifestRevision(repository, digest)
      const hit = cache.get(key)
      if (hit && hit.until > Date.now()) return true
      return (await driver.stat(key)) !== undefined
    },

    async put(repository, digest, manifest) {
      const head = encoder.encode(`${manifest.mediaType}\n`)
      const body = new Uint8Array(head.length + manifest.bytes.length)
      body.set(head)
      body.set(manifest.bytes, head.length)
      const key = keys.manifestRevision(repository, digest)
      await driver.put(key, body)
      remember(key, manifest)
    },

    async delete(repository, digest) {
      const key = keys.manifestRevision(repository, digest)
      forget(key)
      const existed = (await driver.stat(key)) !== undefined
      if (existed) await driver.delete(key)
      return existed
    },
  }
}
