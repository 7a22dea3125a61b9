import type { StorageDriver } from '../driver/storage-driver.js'
import { keys } from '../layout/key-layout.js'
import { createOnce } from './json-objects.js'
import type { ManifestIndex } from './manifest-index.js'

/**
 * How long a process trusts that a repository's marker exists without looking. The garbage
 * collector removes the marker of an emptied repository only when nothing in it was written for
 * longer than this (its grace period is at least this long), so a process whose memory still says
 * "written" wrote into the repository recently enough for the collector to keep the marker.
 */
export const CATALOG_CACHE_MS = 60_000

/**
 * The set of repositories, as one marker key per repository (`catalog/<name>`), so `_catalog` is one
 * ordered, paged listing. Markers are written when a repository receives a blob or manifest; this
 * process remembers for {@link CATALOG_CACHE_MS} which it has written, so a push writes the marker
 * at most once. The garbage collector removes the markers of emptied repositories
 * (layout/garbage-collection.md, "Empty repositories").
 */
export interface CatalogStore {
  /** Records that `repository` exists (idempotent); call it after writing into the repository. */
  ensure(repository: string): Promise<void>
  /** Like `ensure`, but looks at storage whatever this process remembers (after a manifest write). */
  confirm(repository: string): Promise<void>
  exists(repository: string): Promise<boolean>
  /** Repository names after `last` in lexical order, at most `limit`, and whether more follow. */
  list(limit: number, last?: string): Promise<{ names: string[]; more: boolean }>
}

export function createCatalogStore(driver: StorageDriver): CatalogStore {
  const known = new Map<string, number>()
  const empty = new Uint8Array(0)
  const prefix = keys.catalogPrefix()
  const isKnown = (repository: string) => (known.get(repository) ?? 0) > Date.now()
  const write = async (repository: string) => {
    await createOnce(driver, keys.catalogEntry(repository), empty)
    if (known.size >= 50_000) known.delete(known.keys().next().value as string)
    known.set(repository, Date.now() + CATALOG_CACHE_MS)
  }
  return {
    async ensure(repository) {
      if (!isKnown(repository)) await write(repository)
    },
    async confirm(repository) {
      if ((await driver.stat(keys.catalogEntry(repository))) === undefined) await write(repository)
    },
    async exists(repository) {
      if (isKnown(repository)) return true
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

/**
 * A manifest push confirms the repository's catalog marker after its revision is written (the
 * handler ensured it before): a collector that removed the marker of the then empty repository in
 * between is undone (layout/garbage-collection.md, "Empty repositories").
 */
export function withCatalogConfirm(index: ManifestIndex, catalog: CatalogStore): ManifestIndex {
  return {
    ...index,
    async push(repository, digest, manifest, targets) {
      await index.push(repository, digest, manifest, targets)
      await catalog.confirm(repository)
    },
  }
}
