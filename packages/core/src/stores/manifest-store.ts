import { randomBytes } from 'node:crypto'
import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { toCondition } from './json-objects.js'
import { isFresh } from './touch-interval.js'

/** A stored manifest: its media type and the exact bytes that were pushed. */
export interface StoredManifest {
  mediaType: string
  bytes: Uint8Array
}

/** A revision object as read, with the ETag to compare-and-swap it with; `manifest` is absent for a tombstone. */
export interface RevisionState {
  etag: string
  manifest?: StoredManifest
}

/**
 * Manifest revisions of a repository, stored byte-for-byte as pushed, one object each:
 * `"<media type>\t<write nonce>\n"` followed by the manifest bytes, so a pull is one read. (Revisions
 * written before the nonce existed have `"<media type>\n"`; both read the same.)
 *
 * A revision is deleted by overwriting it, by compare-and-swap, with a *tombstone* (`"\t<nonce>\n"`,
 * no media type), never by removing the object: see `manifest-index.ts` for why. Every write carries a
 * fresh random nonce, so every write has a new ETag on every backend (S3's ETag is the MD5 of the
 * body, which would otherwise repeat when the same manifest is pushed again).
 *
 * Reads are cached in memory and revalidated with a `stat` (the ETag must be unchanged), so a
 * revision deleted or re-pushed by another process is seen at once.
 */
export interface ManifestStore {
  /** The live manifest, or `undefined` when absent or deleted. */
  get(repository: string, digest: Digest): Promise<StoredManifest | undefined>
  /** Whether a live (not deleted) revision exists. */
  exists(repository: string, digest: Digest): Promise<boolean>
  /** The revision object as it is now (live or tombstone), `undefined` when there is none. */
  read(repository: string, digest: Digest): Promise<RevisionState | undefined>
  /** Writes the revision (whatever was there, live or tombstone); returns the new ETag. */
  put(repository: string, digest: Digest, manifest: StoredManifest): Promise<string>
  /** Writes the revision only if wharf has no object for it (live or tombstone); its ETag, or `undefined` when one existed. */
  create(repository: string, digest: Digest, manifest: StoredManifest): Promise<string | undefined>
  /**
   * Replaces the revision with a tombstone if its ETag is still `ifMatch` (create-only for
   * `NO_OBJECT_ETAG`); the tombstone's ETag, or `undefined` if it changed.
   */
  tombstone(repository: string, digest: Digest, ifMatch: string): Promise<string | undefined>
  /**
   * Whether a live revision exists, rewriting it first (same bytes, new nonce) when it is older than
   * `TOUCH_INTERVAL_MS`: a push that depends on it (an index on its child, a tag leaving it) calls
   * this so a collector that read it earlier fails its compare-and-swap.
   */
  touch(repository: string, digest: Digest): Promise<boolean>
  /** The revision's current ETag, read from storage (no cache); `undefined` when there is none. */
  currentEtag(repository: string, digest: Digest): Promise<string | undefined>
}

export interface ManifestStoreOptions {
  /** Largest total bytes kept in the cache. Default 32 MiB. */
  cacheBytes?: number
}

const NEWLINE = 0x0a
const MAX_ENTRIES = 50_000
const TAB = '\t'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

const nonce = () => randomBytes(8).toString('hex')

function encode(mediaType: string, bytes: Uint8Array): Uint8Array {
  const head = encoder.encode(`${mediaType}${TAB}${nonce()}\n`)
  const body = new Uint8Array(head.length + bytes.length)
  body.set(head)
  body.set(bytes, head.length)
  return body
}

/** Parses a revision object; `undefined` for a tombstone (empty media type). */
function decode(body: Uint8Array): StoredManifest | undefined {
  const split = body.indexOf(NEWLINE)
  const head = decoder.decode(body.subarray(0, split < 0 ? body.length : split))
  const mediaType = head.includes(TAB) ? head.slice(0, head.indexOf(TAB)) : head
  if (mediaType === '' || split < 0) return undefined
  return { mediaType, bytes: body.subarray(split + 1) }
}

export function createManifestStore(driver: StorageDriver, options: ManifestStoreOptions = {}): ManifestStore {
  const maxBytes = options.cacheBytes ?? 32 * 1024 * 1024
  const cache = new Map<string, RevisionState>()
  let cachedBytes = 0

  const sizeOf = (state: RevisionState) => state.manifest?.bytes.length ?? 0
  const forget = (key: string) => {
    const hit = cache.get(key)
    if (hit) {
      cachedBytes -= sizeOf(hit)
      cache.delete(key)
    }
  }
  const remember = (key: string, state: RevisionState) => {
    forget(key)
    const size = sizeOf(state)
    if (size > maxBytes) return
    // Tombstones weigh nothing in bytes, so the entry count is bounded too.
    while ((cachedBytes + size > maxBytes || cache.size >= MAX_ENTRIES) && cache.size > 0) forget(cache.keys().next().value as string)
    cache.set(key, state)
    cachedBytes += size
  }

  async function read(repository: string, digest: Digest): Promise<RevisionState | undefined> {
    const key = keys.manifestRevision(repository, digest)
    const hit = cache.get(key)
    if (hit) {
      const info = await driver.stat(key)
      if (info?.etag === hit.etag) return hit
      if (!info) {
        forget(key)
        return undefined
      }
    }
    try {
      const { body, etag } = await driver.get(key)
      const manifest = decode(body)
      const state: RevisionState = manifest ? { etag, manifest } : { etag }
      remember(key, state)
      return state
    } catch (error) {
      if (isDriverError(error, 'not-found')) {
        forget(key)
        return undefined
      }
      throw error
    }
  }

  return {
    read,
    async get(repository, digest) {
      return (await read(repository, digest))?.manifest
    },
    async exists(repository, digest) {
      return (await read(repository, digest))?.manifest !== undefined
    },
    async put(repository, digest, manifest) {
      const key = keys.manifestRevision(repository, digest)
      const { etag } = await driver.put(key, encode(manifest.mediaType, manifest.bytes))
      remember(key, { etag, manifest })
      return etag
    },
    async create(repository, digest, manifest) {
      const key = keys.manifestRevision(repository, digest)
      try {
        const { etag } = await driver.put(key, encode(manifest.mediaType, manifest.bytes), { ifNoneMatch: '*' })
        remember(key, { etag, manifest })
        return etag
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return undefined
        throw error
      }
    },
    async tombstone(repository, digest, ifMatch) {
      const key = keys.manifestRevision(repository, digest)
      forget(key)
      try {
        const { etag } = await driver.put(key, encoder.encode(`${TAB}${nonce()}\n`), toCondition(ifMatch))
        remember(key, { etag })
        return etag
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return undefined
        throw error
      }
    },
    async touch(repository, digest) {
      const key = keys.manifestRevision(repository, digest)
      for (;;) {
        const state = await read(repository, digest)
        if (!state?.manifest) return false
        const info = await driver.stat(key)
        if (info?.etag !== state.etag) continue
        if (isFresh(info.modified)) return true
        try {
          const { etag } = await driver.put(key, encode(state.manifest.mediaType, state.manifest.bytes), { ifMatch: state.etag })
          remember(key, { etag, manifest: state.manifest })
          return true
        } catch (error) {
          if (!isDriverError(error, 'precondition-failed')) throw error
        }
      }
    },
    async currentEtag(repository, digest) {
      return (await driver.stat(keys.manifestRevision(repository, digest)))?.etag
    },
  }
}
