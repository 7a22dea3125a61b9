import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes } from './json-objects.js'

/**
 * Tags of a repository: one small object per tag holding the manifest digest it points to. A tag is
 * changed only by compare-and-swap (or create-only when new), so two concurrent pushes of one tag
 * each land whole, one after the other, and never corrupt the record.
 *
 * Resolving a tag is the hot path of every pull. The store remembers each tag's digest with the ETag
 * it was read (or written) with, and revalidates with `stat` before using it: a moved tag is seen at
 * once, also when another process moved it, and an unchanged one costs a stat instead of a read.
 */
export interface TagStore {
  /** The digest the tag points to, or `undefined`. */
  resolve(repository: string, tag: string): Promise<string | undefined>
  set(repository: string, tag: string, digest: string): Promise<void>
  /** Returns whether the tag existed. */
  delete(repository: string, tag: string): Promise<boolean>
  /** Tags after `last` in lexical order, at most `limit`, and whether more follow. */
  list(repository: string, limit: number, last?: string): Promise<{ tags: string[]; more: boolean }>
  /** Every tag pointing at `digest` (walks the repository's tags page by page). */
  pointingAt(repository: string, digest: string): Promise<string[]>
}

interface TagRecord {
  digest: string
}

export function createTagStore(driver: StorageDriver, maxCached = 10_000): TagStore {
  const known = new Map<string, { digest: string; etag: string }>()
  const remember = (key: string, digest: string, etag: string) => {
    known.delete(key)
    if (known.size >= maxCached) known.delete(known.keys().next().value as string)
    known.set(key, { digest, etag })
  }

  const store: TagStore = {
    async resolve(repository, tag) {
      const key = keys.tag(repository, tag)
      const cached = known.get(key)
      if (cached) {
        const info = await driver.stat(key)
        if (info?.etag === cached.etag) return cached.digest
        if (!info) {
          known.delete(key)
          return undefined
        }
      }
      const read = await readJson<TagRecord>(driver, key)
      if (!read) {
        known.delete(key)
        return undefined
      }
      remember(key, read.value.digest, read.etag)
      return read.value.digest
    },

    async set(repository, tag, digest) {
      const key = keys.tag(repository, tag)
      const body = toJsonBytes({ digest } satisfies TagRecord)
      for (let attempt = 0; ; attempt++) {
        const current = await readJson<TagRecord>(driver, key)
        if (current?.value.digest === digest) return
        try {
          const { etag } = await driver.put(key, body, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' })
          remember(key, digest, etag)
          return
        } catch (error) {
          // Another push moved the tag between our read and write: read again and retry.
          if (!isDriverError(error, 'precondition-failed') || attempt >= 20) throw error
        }
      }
    },

    async delete(repository, tag) {
      const key = keys.tag(repository, tag)
      known.delete(key)
      const existed = (await driver.stat(key)) !== undefined
      if (existed) await driver.delete(key)
      return existed
    },

    async list(repository, limit, last) {
      const prefix = keys.tagsPrefix(repository)
      const page = await driver.list(prefix, {
        limit,
        ...(last === undefined ? {} : { startAfter: keys.tag(repository, last) }),
      })
      return { tags: page.keys.map((k) => k.slice(prefix.length)), more: page.truncated }
    },

    async pointingAt(repository, digest) {
      const found: string[] = []
      let last: string | undefined
      for (;;) {
        const page = await store.list(repository, 1000, last)
        const targets = await Promise.all(page.tags.map((tag) => store.resolve(repository, tag)))
        page.tags.forEach((tag, i) => targets[i] === digest && found.push(tag))
        if (!page.more || page.tags.length === 0) return found
        last = page.tags[page.tags.length - 1]
      }
    },
  }
  return store
}
