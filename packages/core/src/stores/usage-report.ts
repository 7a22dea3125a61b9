import type { StorageDriver } from '../driver/storage-driver.js'
import { toDigest, type Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import type { CatalogStore } from './catalog-store.js'
import { readJson } from './json-objects.js'
import { mapLimited } from './map-limited.js'
import type { UsageFigures, UsageStore } from './usage-store.js'

/** One repository's usage: each blob linked in it counted once. */
export interface RepositoryUsage extends UsageFigures {
  repository: string
}

/** A namespace (`team-a` holds `team-a/app` and `team-a/app/cache`): the sum of its repositories. */
export interface NamespaceUsage extends UsageFigures {
  namespace: string
  /** How many repositories the sum is over. */
  repositories: number
}

/** What `registry.usage()` is asked: one repository (and its namespaces) or all; `rebuild` walks first. */
export interface UsageQuery {
  repository?: string
  /** Recompute every record by a walk (see {@link rebuildUsage}) before answering. Default false. */
  rebuild?: boolean
}

/** What `registry.usage()` answers; see usage-store.ts for what "deduplicated" means at each level. */
export interface UsageReport {
  /** Each blob record once, however many repositories link it. */
  total: UsageFigures
  /** The repository asked for, or every repository with a usage record, in lexical order. */
  repositories: RepositoryUsage[]
  /** Every namespace (proper path prefix) of those repositories, summed over all its repositories. */
  namespaces: NamespaceUsage[]
}

const PAGE = 1000
/** How many reconciles a rebuild runs at once. */
const REBUILD_CONCURRENCY = 8

/** Every proper prefix of a repository name at a `/`: `a/b/c` → `a`, `a/b`. */
function namespacesOf(repository: string): string[] {
  const parts = repository.split('/')
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'))
}

async function* recorded(usage: UsageStore, prefix: string): AsyncGenerator<RepositoryUsage> {
  let last: string | undefined
  for (;;) {
    const page = await usage.list(prefix, PAGE, last)
    yield* page.repositories
    if (!page.more || page.repositories.length === 0) return
    last = page.repositories[page.repositories.length - 1]!.repository
  }
}

/** Reads usage from the records: one object per repository listed, no walk of blobs or links. */
export async function readUsage(usage: UsageStore, repository?: string): Promise<UsageReport> {
  const sums = new Map<string, NamespaceUsage>()
  const count = (namespace: string, figures: UsageFigures) => {
    const sum = sums.get(namespace) ?? { namespace, bytes: 0, blobs: 0, repositories: 0 }
    sums.set(namespace, { namespace, bytes: sum.bytes + figures.bytes, blobs: sum.blobs + figures.blobs, repositories: sum.repositories + 1 })
  }
  const repositories: RepositoryUsage[] = []
  if (repository === undefined) {
    for await (const entry of recorded(usage, '')) {
      repositories.push(entry)
      for (const namespace of namespacesOf(entry.repository)) count(namespace, entry)
    }
  } else {
    repositories.push({ repository, ...(await usage.repository(repository)) })
    for (const namespace of namespacesOf(repository)) {
      sums.set(namespace, { namespace, bytes: 0, blobs: 0, repositories: 0 })
      for await (const entry of recorded(usage, `${namespace}/`)) count(namespace, entry)
    }
  }
  const namespaces = [...sums.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : 1))
  return { total: await usage.total(), repositories, namespaces }
}

async function* listKeys(driver: StorageDriver, prefix: string): AsyncGenerator<string> {
  let startAfter: string | undefined
  for (;;) {
    const page = await driver.list(prefix, { limit: PAGE, ...(startAfter === undefined ? {} : { startAfter }) })
    yield* page.keys
    if (!page.truncated || page.keys.length === 0) return
    startAfter = page.keys[page.keys.length - 1]
  }
}

/** `<alg>/<hex>` or `<alg>/<hh>/<hex>` after a prefix, as a digest. */
function toKeyDigest(rest: string): Digest | undefined {
  const parts = rest.split('/')
  return toDigest(`${parts[0]}:${parts[parts.length - 1]}`)
}

/** Reconciles every digest under `prefixes` (each listing streamed, a page at a time) and sums the counted markers. */
async function reconcileAll(
  driver: StorageDriver,
  prefixes: readonly string[],
  markersPrefix: string,
  reconcile: (digest: Digest) => Promise<void>,
): Promise<UsageFigures> {
  for (const prefix of prefixes) {
    let batch: Digest[] = []
    const flush = async () => {
      await mapLimited(batch, REBUILD_CONCURRENCY, reconcile)
      batch = []
    }
    for await (const key of listKeys(driver, prefix)) {
      const digest = toKeyDigest(key.slice(prefix.length))
      if (digest) batch.push(digest)
      if (batch.length >= PAGE) await flush()
    }
    await flush()
  }
  const sum = { bytes: 0, blobs: 0 }
  for await (const key of listKeys(driver, markersPrefix)) {
    const marker = await readJson<{ size: number; counted: boolean }>(driver, key)
    if (!marker?.value.counted) continue
    sum.bytes += marker.value.size
    sum.blobs += 1
  }
  return sum
}

/**
 * Recomputes every usage record by a walk: each repository's links and charge markers, then every
 * blob record and its marker, are reconciled, and the records overwritten with the sum of the
 * markers. It repairs what a process that died between a marker and a record write left behind.
 * Memory: the repository names (one string each), and a page of digests at a time.
 *
 * Exact when no push or delete changes a repository while the walk is in it; a change racing the
 * walk can leave that repository's record off by that change (the markers stay right): run it again,
 * e.g. after a garbage collection.
 */
export async function rebuildUsage(driver: StorageDriver, catalog: CatalogStore, usage: UsageStore): Promise<void> {
  const names = new Set<string>()
  let last: string | undefined
  for (;;) {
    const page = await catalog.list(PAGE, last)
    for (const name of page.names) names.add(name)
    if (!page.more || page.names.length === 0) break
    last = page.names[page.names.length - 1]
  }
  for await (const entry of recorded(usage, '')) names.add(entry.repository)
  for (const repository of [...names].sort()) {
    // The prefix of keys.layerLink: the repository's links.
    const links = `repositories/${repository}/_layers/`
    const markers = keys.usageLinksPrefix(repository)
    const sum = await reconcileAll(driver, [links, markers], markers, (digest) => usage.reconcileLink(repository, digest))
    await usage.setRepository(repository, sum)
  }
  const markers = keys.usageBlobsPrefix()
  await usage.setTotal(await reconcileAll(driver, ['blobs/', markers], markers, (digest) => usage.reconcileBlob(digest)))
}
