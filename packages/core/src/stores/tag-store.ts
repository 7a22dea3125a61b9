import { randomBytes } from 'node:crypto'
import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toCondition, toJsonBytes } from './json-objects.js'

/** A tag object as read: the digest it points to (`undefined` for a tombstone) and its ETag. */
export interface TagState {
  digest: string | undefined
  etag: string
}

/**
 * Tags of a repository: one small object per tag holding the manifest digest it points to and a
 * random write nonce (so every write has a new ETag, on S3 too). A tag is deleted by overwriting it,
 * by compare-and-swap, with a tombstone (`digest: null`), never by removing the object: the rule
 * that makes this safe against racing pushes is in `manifest-index.ts`, the only caller.
 *
 * Resolving a tag is the hot path of every pull. The store remembers each tag's state with the ETag
 * it was read (or written) with, and revalidates with `stat` before using it: a moved tag is seen at
 * once, also when another process moved it, and an unchanged one costs a stat instead of a read.
 */
export interface TagStore {
  /** The tag as stored now (live or tombstone), `undefined` when there is no object. */
  read(repository: string, tag: string): Promise<TagState | undefined>
  /** Points the tag at `digest`, whatever it held; returns the new ETag. */
  set(repository: string, tag: string, digest: string): Promise<string>
  /** Points the tag at `digest` only if wharf has no object for it (live or tombstone); whether it did. */
  create(repository: string, tag: string, digest: string): Promise<boolean>
  /**
   * Points the tag at `digest` if its ETag is still `ifMatch` (create-only for `NO_OBJECT_ETAG`);
   * the new ETag, or `undefined` if it changed. Immutable tags are written this way, so two pushes
   * racing for one tag cannot both move it (see `policies/immutable-tags.ts`).
   */
  replace(repository: string, tag: string, digest: string, ifMatch: string): Promise<string | undefined>
  /** Replaces the tag with a tombstone if its ETag is still `ifMatch` (create-only for `NO_OBJECT_ETAG`); whether it did. */
  tombstone(repository: string, tag: string, ifMatch: string): Promise<boolean>
  /** Tag names stored after `last` in lexical order (live or not), at most `limit`, and whether more follow. */
  list(repository: string, limit: number, last?: string): Promise<{ tags: string[]; more: boolean }>
}

interface TagRecord {
  digest: string | null
  nonce?: string
}

const nonce = () => randomBytes(8).toString('hex')

export function createTagStore(driver: StorageDriver, maxCached = 10_000): TagStore {
  const known = new Map<string, TagState>()
  const remember = (key: string, state: TagState) => {
    known.delete(key)
    if (known.size >= maxCached) known.delete(known.keys().next().value as string)
    known.set(key, state)
  }

  return {
    async read(repository, tag) {
      const key = keys.tag(repository, tag)
      const cached = known.get(key)
      if (cached) {
        const info = await driver.stat(key)
        if (info?.etag === cached.etag) return cached
        if (!info) {
          known.delete(key)
          return undefined
        }
      }
      const found = await readJson<TagRecord>(driver, key)
      if (!found) {
        known.delete(key)
        return undefined
      }
      const state = { digest: found.value.digest ?? undefined, etag: found.etag }
      remember(key, state)
      return state
    },

    async set(repository, tag, digest) {
      const key = keys.tag(repository, tag)
      const { etag } = await driver.put(key, toJsonBytes({ digest, nonce: nonce() } satisfies TagRecord))
      remember(key, { digest, etag })
      return etag
    },

    async create(repository, tag, digest) {
      const key = keys.tag(repository, tag)
      try {
        const { etag } = await driver.put(key, toJsonBytes({ digest, nonce: nonce() } satisfies TagRecord), { ifNoneMatch: '*' })
        remember(key, { digest, etag })
        return true
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return false
        throw error
      }
    },

    async replace(repository, tag, digest, ifMatch) {
      const key = keys.tag(repository, tag)
      known.delete(key)
      try {
        const { etag } = await driver.put(key, toJsonBytes({ digest, nonce: nonce() } satisfies TagRecord), toCondition(ifMatch))
        remember(key, { digest, etag })
        return etag
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return undefined
        throw error
      }
    },

    async tombstone(repository, tag, ifMatch) {
      const key = keys.tag(repository, tag)
      known.delete(key)
      try {
        const { etag } = await driver.put(key, toJsonBytes({ digest: null, nonce: nonce() } satisfies TagRecord), toCondition(ifMatch))
        remember(key, { digest: undefined, etag })
        return true
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return false
        throw error
      }
    },

    async list(repository, limit, last) {
      const prefix = keys.tagsPrefix(repository)
      const page = await driver.list(prefix, {
        limit,
        ...(last === undefined ? {} : { startAfter: keys.tag(repository, last) }),
      })
      return { tags: page.keys.map((k) => k.slice(prefix.length)), more: page.truncated }
    },
  }
}
