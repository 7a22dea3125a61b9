import { createMemoryDriver, createRegistry, type Registry, type StorageDriver } from '@wharf/core'
import { suiteHelpers } from '@wharf/testing'
import { describe, expect, it } from 'vitest'

const { makeImage, putManifest, OCI_MANIFEST } = suiteHelpers
const registryOn = (storage: StorageDriver): Registry => createRegistry({ storage })
const call = (registry: Registry, path: string, init?: RequestInit) => registry.fetch(new Request(`http://registry.test${path}`, init))

describe('tags shared by several registry instances', () => {
  it('serves a tag moved by another instance at once, and a tag deleted there as unknown', async () => {
    const storage = createMemoryDriver()
    const [a, b] = [registryOn(storage), registryOn(storage)]
    const clientA = { fetch: (p: string, i?: RequestInit) => call(a, p, i), close: async () => {} }
    const clientB = { fetch: (p: string, i?: RequestInit) => call(b, p, i), close: async () => {} }
    const one = await makeImage(clientA, 'app')
    const two = await makeImage(clientA, 'app')
    await putManifest(clientA, 'app', 'latest', one.bytes, OCI_MANIFEST)
    const headA = () => call(a, '/v2/app/manifests/latest', { method: 'HEAD' })
    expect((await headA()).headers.get('docker-content-digest')).toBe(one.digest)
    await putManifest(clientB, 'app', 'latest', two.bytes, OCI_MANIFEST)
    expect((await headA()).headers.get('docker-content-digest')).toBe(two.digest)
    expect((await call(b, '/v2/app/manifests/latest', { method: 'DELETE' })).status).toBe(202)
    expect((await headA()).status).toBe(404)
  })
})
