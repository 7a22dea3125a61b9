import { createRegistry, createMemoryDriver, type AuthHooks, type Registry, type StorageDriver } from '@wharf/core'
import { suiteHelpers, type RegistryClient } from '@wharf/testing'

/** A registry on the memory driver with `auth`, and a client sending `authorization` on every request. */
export function newRegistry(auth: AuthHooks): { registry: Registry; storage: StorageDriver; as: (authorization?: string) => RegistryClient } {
  const storage = createMemoryDriver()
  const registry = createRegistry({ storage, auth })
  const as = (authorization?: string): RegistryClient => ({
    fetch(path, init = {}) {
      const headers = new Headers(init.headers)
      if (authorization) headers.set('authorization', authorization)
      return registry.fetch(new Request(`http://registry.test${path}`, { ...init, headers }))
    },
    close: async () => {},
  })
  return { registry, storage, as }
}

/** Pushes a one-layer image as `repo:tag` and returns its manifest digest and layer digest. */
export async function pushImage(client: RegistryClient, repo: string, tag: string): Promise<{ manifest: string; layer: string }> {
  const image = await suiteHelpers.makeImage(client, repo)
  const response = await suiteHelpers.putManifest(client, repo, tag, image.bytes, image.mediaType)
  if (response.status !== 201) throw new Error(`push manifest: ${response.status} ${await response.text()}`)
  const layer = (JSON.parse(image.bytes.toString()) as { layers: Array<{ digest: string }> }).layers[0]!.digest
  return { manifest: image.digest, layer }
}

/** Every key of the store with its ETag: equal snapshots mean nothing was written or deleted. */
export async function snapshot(storage: StorageDriver): Promise<string[]> {
  const entries: string[] = []
  let startAfter: string | undefined
  for (;;) {
    const page = await storage.list('', startAfter ? { startAfter } : {})
    for (const key of page.keys) entries.push(`${key} ${(await storage.stat(key))?.etag ?? '-'}`)
    if (!page.truncated || page.keys.length === 0) return entries
    startAfter = page.keys[page.keys.length - 1]
  }
}

/**
 * One request of every route and method of the /v2 API against `repo`, given existing digests and an
 * upload id. `write` marks the requests that need more than pull.
 */
export function everyRoute(repo: string, digests: { manifest: string; layer: string }, uploadId: string) {
  const bytes = new TextEncoder().encode('hello')
  const blobDigest = suiteHelpers.sha256(bytes)
  return [
    { name: 'GET /v2/', method: 'GET', path: '/v2/', write: false, base: true },
    { name: 'HEAD /v2/', method: 'HEAD', path: '/v2/', write: false, base: true },
    { name: 'GET catalog', method: 'GET', path: '/v2/_catalog', write: false },
    { name: 'GET tags', method: 'GET', path: `/v2/${repo}/tags/list`, write: false },
    { name: 'GET manifest', method: 'GET', path: `/v2/${repo}/manifests/latest`, write: false },
    { name: 'HEAD manifest', method: 'HEAD', path: `/v2/${repo}/manifests/${digests.manifest}`, write: false },
    { name: 'PUT manifest', method: 'PUT', path: `/v2/${repo}/manifests/evil`, write: true, headers: { 'content-type': suiteHelpers.OCI_MANIFEST }, body: '{"schemaVersion":2}' },
    { name: 'DELETE manifest', method: 'DELETE', path: `/v2/${repo}/manifests/${digests.manifest}`, write: true },
    { name: 'GET blob', method: 'GET', path: `/v2/${repo}/blobs/${digests.layer}`, write: false },
    { name: 'HEAD blob', method: 'HEAD', path: `/v2/${repo}/blobs/${digests.layer}`, write: false },
    { name: 'DELETE blob', method: 'DELETE', path: `/v2/${repo}/blobs/${digests.layer}`, write: true },
    { name: 'GET referrers', method: 'GET', path: `/v2/${repo}/referrers/${digests.manifest}`, write: false },
    { name: 'POST upload', method: 'POST', path: `/v2/${repo}/blobs/uploads/`, write: true },
    { name: 'POST monolithic upload', method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=${blobDigest}`, write: true, body: bytes },
    { name: 'POST mount', method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=${digests.layer}&from=other/repo`, write: true },
    { name: 'PATCH upload', method: 'PATCH', path: `/v2/${repo}/blobs/uploads/${uploadId}`, write: true, headers: { 'content-type': 'application/octet-stream' }, body: bytes },
    { name: 'PUT upload', method: 'PUT', path: `/v2/${repo}/blobs/uploads/${uploadId}?digest=${blobDigest}`, write: true, body: bytes },
    // Reading an upload's progress needs push too (as registry:2): it is part of pushing.
    { name: 'GET upload', method: 'GET', path: `/v2/${repo}/blobs/uploads/${uploadId}`, write: true },
    { name: 'DELETE upload', method: 'DELETE', path: `/v2/${repo}/blobs/uploads/${uploadId}`, write: true },
  ] as Array<{ name: string; method: string; path: string; write: boolean; base?: boolean; headers?: Record<string, string>; body?: string | Uint8Array }>
}
