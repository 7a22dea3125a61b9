import type { StorageDriver } from '../driver/storage-driver.js'
import { keys } from '../layout/key-layout.js'
import { createOnce } from './json-objects.js'

/**
 * The set of repositories, as one marker key per repository (`catalog/<name>`), so `_catalog` is one
 * ordered, paged listing. Markers are written once, when a repository first receives a blob or
 * manifest; this process remembers which it has seen so a push writes the marker at most once.
 */
export interface CatalogStore {
  /** Records that `repository` exists (idempotent). */
  ensure(repository: string): Promise<void>
  exists(repository: string): Promise<boolean>
  /** Repository names after `last` in lexical order, at most `limit`, and whether more follow. */
  list(limit: number, last?: string): Promise<{ names: string[]; more: boolean }>
}

export function createCatalogStore(driver: StorageDriver): CatalogStore {
  const known = new Set<string>()
  const empty = new Uint8Array(0)
  const prefix = keys.catalogPrefix()
  return {
    async ensure(repository) {
      if (known.has(repository)) return
      await createOnce(driver, keys.catalogEntry(repository), empty)
      known.add(repository)
    },
    async exists(repository) {
      if (known.has(repository)) return true
      return (await driver.stat(keys.catalogEntry(repository))) !== undefined
    },
    async list(limit, last) {
      const page = await driver.list(prefix, {
        limit,
        ...(last === undefined ? {} : { startAfter: keys.catalogEntry(last) }),
      })
      return { names: page.keys.map((k) => k.slice(prefix.length)), more: page.truncated }
    },
  }
}
