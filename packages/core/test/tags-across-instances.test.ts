import { createMemoryDriver } from '@wharf/core'
import { suiteHelpers } from '@wharf/core/testing'
import { describe, expect, it } from 'vitest'
import { registryOn, call } from './helpers.js'

const { makeImage, putManifest, OCI_MANIFEST } = suiteHelpers

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
