import type { CatalogStore } from '../stores/catalog-store.js'
import { NO_OBJECT_ETAG } from '../stores/json-objects.js'
import type { ManifestStore } from '../stores/manifest-store.js'
import type { TagStore } from '../stores/tag-store.js'
import type { Registry2Reader } from './registry2-reader.js'

/** Resolves to the reader while the registry:2 fallback is on, `undefined` when it is off. */
export type Registry2Fallback = () => Promise<Registry2Reader | undefined>

/**
 * The fallback rule, the same for tags, revisions, blob links and the catalog: **an object wharf
 * holds — live or tombstone — wins; only where wharf has none is registry:2's tree consulted.**
 * Entries found there are reported with `NO_OBJECT_ETAG`, so the manifest index's compare-and-swap
 * becomes a create-only write and its race-safety rule applies unchanged (see `manifest-index.ts`).
 */
export function withRegistry2Tags(tags: TagStore, fallback: Registry2Fallback): TagStore {
  return {
    ...tags,
    async read(repository, tag) {
      const own = await tags.read(repository, tag)
      if (own) return own
      const digest = await (await fallback())?.tag(repository, tag)
      return digest === undefined ? undefined : { digest, etag: NO_OBJECT_ETAG }
    },
    async list(repository, limit, last) {
      const reader = await fallback()
      if (!reader) return tags.list(repository, limit, last)
      const own = await tags.list(repository, limit, last)
      const theirs = (await reader.tags(repository)).filter((t) => last === undefined || t > last)
      return mergePage(own.tags, own.more, theirs, limit)
    },
  }
}

export function withRegistry2Manifests(manifests: ManifestStore, fallback: Registry2Fallback): ManifestStore {
  async function read(repository: string, digest: Parameters<ManifestStore['read']>[1]) {
    const own = await manifests.read(repository, digest)
    if (own) return own
    const manifest = await (await fallback())?.revision(repository, digest)
    return manifest ? { etag: NO_OBJECT_ETAG, manifest } : undefined
  }
  return {
    ...manifests,
    read,
    get: async (repository, digest) => (await read(repository, digest))?.manifest,
    exists: async (repository, digest) => (await read(repository, digest))?.manifest !== undefined,
    // registry:2's own revisions are not collected while the fallback is on: present is enough.
    touch: async (repository, digest) => (await manifests.touch(repository, digest)) || (await read(repository, digest))?.manifest !== undefined,
    async currentEtag(repository, digest) {
      return (await manifests.currentEtag(repository, digest)) ?? ((await read(repository, digest)) ? NO_OBJECT_ETAG : undefined)
    },
  }
}

export function withRegistry2Catalog(catalog: CatalogStore, fallback: Registry2Fallback): CatalogStore {
  return {
    ...catalog,
    async exists(repository) {
      return (await catalog.exists(repository)) || ((await (await fallback())?.hasRepository(repository)) ?? false)
    },
    async list(limit, last) {
      const reader = await fallback()
      if (!reader) return catalog.list(limit, last)
      const own = await catalog.list(limit, last)
      // Streamed: only as many of registry:2's names as this page can use are read.
      const theirs: string[] = []
      const bound = own.more ? own.names[own.names.length - 1] : undefined
      for await (const name of reader.repositories(last)) {
        if (theirs.length > limit || (bound !== undefined && name > bound)) break
        theirs.push(name)
      }
      const merged = mergePage(own.names, own.more, theirs, limit)
      return { names: merged.tags, more: merged.more }
    },
  }
}

/**
 * One page of the sorted union of a page of wharf's names (`more` when wharf has more after it) and
 * registry:2's names after the same cursor. When wharf's page is cut, nothing past its last name is
 * taken, since wharf's next names may sort before registry:2's. Pass more than `limit` of registry:2's
 * names when it has more, so that `more` is right.
 */
export function mergePage(own: string[], ownMore: boolean, theirs: string[], limit: number): { tags: string[]; more: boolean } {
  const bound = ownMore && own.length > 0 ? own[own.length - 1]! : undefined
  const union: string[] = []
  let i = 0
  let j = 0
  while (i < own.length || j < theirs.length) {
    const a = own[i]
    const b = theirs[j]
    const next = b === undefined || (a !== undefined && a <= b) ? a! : b
    if (a === next) i++
    if (b === next) j++
    if (bound !== undefined && next > bound) break
    union.push(next)
  }
  const more = ownMore || union.length > limit || j < theirs.length
  return { tags: union.slice(0, limit), more }
}
