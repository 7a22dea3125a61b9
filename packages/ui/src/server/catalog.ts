import { storageKeys, type Registry, type UsageReport } from '@wharf/core'
import type { Viewer } from './viewer.js'

/** A child namespace of the one being looked at, with how many visible repositories it holds. */
export interface NamespaceEntry {
  name: string
  repositories: number
}

/** One page of repository names as a viewer sees them. */
export interface CatalogPage {
  /** Repositories matching the search and namespace, visible to the viewer. */
  total: number
  names: string[]
  /** Cursor for the next page (the last name), when more follow. */
  next?: string
  /** Namespaces directly under the one asked for (the tree's next level). */
  namespaces: NamespaceEntry[]
}

/** What a catalog page is asked for. */
export interface CatalogQuery {
  /** Case-insensitive substring of the name. */
  q?: string
  /** Only repositories under this namespace (`team-a` → `team-a/…`). */
  namespace?: string
  /** Names after this one. */
  after?: string
  limit: number
}

/** Every repository name and the usage report, read once and shared by all viewers for a short while. */
export interface CatalogCache {
  /** Every repository name, sorted; read through the storage's catalog markers, 1000 per list call. */
  names(): Promise<readonly string[]>
  /** `registry.usage()`, when the registry has it. */
  usage(): Promise<UsageReport | undefined>
  page(viewer: Viewer, query: CatalogQuery): Promise<CatalogPage>
  /** Forgets what was read (after a push or delete). */
  invalidate(): void
}

/** Keeps a value for `ttlMs`; an invalidated or expired value is read again on next use. */
function cached<T>(ttlMs: number, read: () => Promise<T>): { get(): Promise<T>; clear(): void } {
  let value: { at: number; promise: Promise<T> } | undefined
  return {
    get() {
      if (!value || Date.now() - value.at > ttlMs) {
        const promise = read()
        value = { at: Date.now(), promise }
        promise.catch(() => (value = undefined))
      }
      return value.promise
    },
    clear: () => (value = undefined),
  }
}

/**
 * Why a cache of all names rather than one list call per page: search and "visible to this user"
 * filtering need every name anyway (the storage can only list by prefix), and 10,000 names are about
 * ten list calls and a few hundred KiB, read at most once per `ttlMs` and after each push or delete.
 */
export function createCatalogCache(registry: Registry, ttlMs = 10_000): CatalogCache {
  const prefix = storageKeys.catalogPrefix()
  const names = cached(ttlMs, async () => {
    const all: string[] = []
    let startAfter: string | undefined
    for (;;) {
      const page = await registry.storage.list(prefix, { limit: 1000, ...(startAfter ? { startAfter } : {}) })
      all.push(...page.keys.map((k) => k.slice(prefix.length)))
      if (!page.truncated || page.keys.length === 0) return all
      startAfter = page.keys[page.keys.length - 1]
    }
  })
  const usageReader = (registry as { usage?: Registry['usage'] }).usage
  const usage = cached(3 * ttlMs, async () => (usageReader ? await usageReader.call(registry) : undefined))
  return {
    names: () => names.get(),
    usage: () => usage.get(),
    invalidate() {
      names.clear()
      usage.clear()
    },
    async page(viewer, query) {
      const q = query.q?.toLowerCase() ?? ''
      const ns = query.namespace ? `${query.namespace}/` : ''
      const matching = (await names.get()).filter((name) => name.startsWith(ns) && (q === '' || name.toLowerCase().includes(q)))
      const visible: string[] = []
      await viewer.prepare(matching)
      for (const name of matching) if ((await viewer.actions(name)).has('pull')) visible.push(name)
      const groups = new Map<string, number>()
      for (const name of visible) {
        const rest = name.slice(ns.length)
        const slash = rest.indexOf('/')
        if (slash > 0) groups.set(ns + rest.slice(0, slash), (groups.get(ns + rest.slice(0, slash)) ?? 0) + 1)
      }
      const start = query.after === undefined ? 0 : visible.findIndex((name) => name > query.after!)
      const from = start < 0 ? visible.length : start
      const page = visible.slice(from, from + query.limit)
      const more = from + query.limit < visible.length
      return {
        total: visible.length,
        names: page,
        ...(more ? { next: page[page.length - 1]! } : {}),
        namespaces: [...groups].slice(0, 500).map(([name, repositories]) => ({ name, repositories })),
      }
    },
  }
}
