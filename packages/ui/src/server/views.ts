import { storageKeys, type Registry } from '@wharf/core'
import type { CatalogCache, CatalogQuery } from './catalog.js'
import { mapLimited } from './http-util.js'
import { compressedSize, descriptors, fetchConfig, fetchManifest, toDescriptor, ViewError, type Descriptor } from './inspect.js'
import type { Viewer } from './viewer.js'

/** How many tags of a repository are looked at for its "last pushed" time (a stat each). */
const LAST_PUSH_TAGS = 200

/** Live tags of a repository as the viewer may list them, optionally after a cursor; at most `n`. */
export async function listTags(viewer: Viewer, repository: string, n?: number, last?: string): Promise<{ tags: string[]; more: boolean }> {
  const query = new URLSearchParams()
  if (n !== undefined) query.set('n', String(n))
  if (last) query.set('last', last)
  const response = await viewer.v2(`/v2/${repository}/tags/list?${query}`, { accept: 'application/json' })
  if (response.status === 404) return { tags: [], more: false }
  if (!response.ok) throw new ViewError(response.status, `cannot list the tags of ${repository}`)
  const body = (await response.json()) as { tags?: string[] | null }
  return { tags: body.tags ?? [], more: response.headers.has('link') }
}

/** When a tag was last written: its tag object's modification time (a push or a re-tag). */
async function pushedAt(registry: Registry, repository: string, tag: string): Promise<number | undefined> {
  const info = await registry.storage.stat(storageKeys.tag(repository, tag)).catch(() => undefined)
  return info?.modified.getTime()
}

/** Last pull per manifest digest, when the registry records pulls (`pulls/<repository>`); empty otherwise. */
async function lastPulls(registry: Registry, repository: string): Promise<Record<string, number>> {
  const key = (storageKeys as { pullRecord?: (r: string) => string }).pullRecord?.(repository)
  if (!key) return {}
  try {
    const doc = JSON.parse(new TextDecoder().decode((await registry.storage.get(key)).body)) as { pulls?: Record<string, number> }
    return doc.pulls ?? {}
  } catch {
    return {}
  }
}

/** The repositories page: names with tag count, deduplicated size and last push. */
export async function repositoriesView(registry: Registry, catalog: CatalogCache, viewer: Viewer, query: CatalogQuery) {
  const page = await catalog.page(viewer, query)
  const usage = await catalog.usage().catch(() => undefined)
  const sizes = new Map(usage?.repositories.map((r) => [r.repository, r.bytes]))
  const repositories = await mapLimited(page.names, 8, async (name) => {
    const { tags } = await listTags(viewer, name).catch(() => ({ tags: [] as string[] }))
    const times = await mapLimited(tags.slice(0, LAST_PUSH_TAGS), 16, (tag) => pushedAt(registry, name, tag))
    const last = Math.max(0, ...times.filter((t): t is number => t !== undefined))
    return { name, tags: tags.length, bytes: sizes.get(name), lastPushed: last || undefined }
  })
  return { ...page, repositories }
}

/** The home page: totals and the state of maintenance tasks. */
export async function summaryView(catalog: CatalogCache, viewer: Viewer, status: Record<string, unknown>) {
  const page = await catalog.page(viewer, { limit: 0 })
  const usage = await catalog.usage().catch(() => undefined)
  return { repositories: page.total, bytes: usage?.total.bytes, blobs: usage?.total.blobs, ...status }
}

/** One page of a repository's tags, each with its manifest summarised. */
export async function tagsView(registry: Registry, viewer: Viewer, repository: string, n: number, last?: string, q?: string) {
  const actions = await viewer.actions(repository)
  if (!actions.has('pull')) throw new ViewError(404, `no repository ${repository} (or no pull access to it)`)
  let listed: { tags: string[]; more: boolean }
  if (q) {
    // Tag search: the whole list (at most the registry's page limit) filtered, then paged here.
    const all = (await listTags(viewer, repository)).tags.filter((t) => t.toLowerCase().includes(q.toLowerCase()))
    const from = last ? all.findIndex((t) => t > last) : 0
    const start = from < 0 ? all.length : from
    listed = { tags: all.slice(start, start + n), more: start + n < all.length }
  } else {
    listed = await listTags(viewer, repository, n, last)
  }
  const pulls = await lastPulls(registry, repository)
  const tags = await mapLimited(listed.tags, 6, async (tag) => {
    const manifest = await fetchManifest(viewer, repository, tag)
    if (!manifest) return { tag, missing: true }
    const config = manifest.kind === 'image' ? await fetchConfig(viewer, repository, manifest) : undefined
    const children = manifest.kind === 'index' ? descriptors(manifest.doc, 'manifests') : []
    const platforms = manifest.kind === 'index' ? children.map((c) => c.platform).filter((p): p is string => !!p) : config?.platform ? [config.platform] : []
    return {
      tag,
      digest: manifest.digest,
      kind: manifest.kind,
      ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
      mediaType: manifest.mediaType,
      platforms,
      size: await compressedSize(viewer, repository, manifest),
      pushedAt: await pushedAt(registry, repository, tag),
      lastPulledAt: pulls[manifest.digest],
    }
  })
  return {
    repository,
    tags,
    ...(listed.more && listed.tags.length > 0 ? { next: listed.tags[listed.tags.length - 1] } : {}),
    canDelete: actions.has('delete'),
  }
}

/** Referrers of a digest grouped by artifact type (signatures, SBOMs, attestations…). */
async function referrerGroups(viewer: Viewer, repository: string, digest: string) {
  const response = await viewer.v2(`/v2/${repository}/referrers/${digest}`, { accept: 'application/vnd.oci.image.index.v1+json' })
  if (!response.ok) return []
  const index = (await response.json()) as Record<string, unknown>
  const groups = new Map<string, Descriptor[]>()
  for (const d of descriptors(index, 'manifests')) {
    const type = d.artifactType ?? d.mediaType
    groups.set(type, [...(groups.get(type) ?? []), d])
  }
  return [...groups].map(([artifactType, items]) => ({ artifactType, items }))
}

/** Tags of the repository that point at `digest` (what deleting the manifest takes with it); at most 1000 looked at. */
async function tagsOf(viewer: Viewer, repository: string, digest: string): Promise<string[]> {
  const { tags } = await listTags(viewer, repository, 1000)
  const digests = await mapLimited(tags, 16, async (tag) => {
    const response = await viewer.v2(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD' })
    return response.headers.get('docker-content-digest')
  })
  return tags.filter((_, i) => digests[i] === digest)
}

/** The manifest page: layers, config, index children, referrers, subject, raw JSON and the tags on it. */
export async function manifestView(viewer: Viewer, repository: string, reference: string) {
  const actions = await viewer.actions(repository)
  const manifest = actions.has('pull') ? await fetchManifest(viewer, repository, reference) : undefined
  if (!manifest) throw new ViewError(404, `no manifest ${reference} in ${repository} (or no pull access to it)`)
  const config = manifest.kind === 'image' ? await fetchConfig(viewer, repository, manifest) : undefined
  const subject = toDescriptor(manifest.doc['subject'])
  const annotations = manifest.doc['annotations']
  return {
    repository,
    reference,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    kind: manifest.kind,
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    size: await compressedSize(viewer, repository, manifest),
    manifestBytes: manifest.bytes,
    config: config ?? null,
    configDescriptor: toDescriptor(manifest.doc['config']) ?? null,
    layers: descriptors(manifest.doc, 'layers'),
    children: descriptors(manifest.doc, 'manifests'),
    subject: subject ?? null,
    annotations: annotations ?? null,
    referrers: await referrerGroups(viewer, repository, manifest.digest),
    tags: await tagsOf(viewer, repository, manifest.digest),
    raw: manifest.raw,
    canDelete: actions.has('delete'),
  }
}
