import { createMemoryDriver, type Registry } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { call, registryOn, sha256 } from './helpers.js'

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'

async function pushBlob(registry: Registry, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes)
  const started = await call(registry, `/v2/${repo}/blobs/uploads/`, { method: 'POST' })
  const location = new URL(started.headers.get('location')!, 'http://registry.test')
  location.searchParams.set('digest', digest)
  const put = await call(registry, location.pathname + location.search, { method: 'PUT', body: bytes })
  expect(put.status).toBe(201)
  return digest
}

/** Pushes a one-layer image tagged `tag`; `seed` makes its digest differ. */
async function pushImage(registry: Registry, repo: string, tag: string, seed: number): Promise<{ digest: string; bytes: string }> {
  const config = new TextEncoder().encode(JSON.stringify({ seed }))
  const layer = new Uint8Array([seed, 1, 2, 3])
  const bytes = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: await pushBlob(registry, repo, config) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: await pushBlob(registry, repo, layer) }],
  })
  const put = await call(registry, `/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: bytes, headers: { 'Content-Type': DOCKER_MANIFEST } })
  expect(put.status).toBe(201)
  return { digest: put.headers.get('docker-content-digest')!, bytes }
}

describe('manifest GET by tag', () => {
  it('answers with the same headers, in the same order, for GET, HEAD and a 304', async () => {
    const registry = registryOn(createMemoryDriver())
    const image = await pushImage(registry, 'team/app', 'v1', 1)
    const expected = {
      'Docker-Distribution-API-Version': 'registry/2.0',
      'Content-Type': DOCKER_MANIFEST,
      'Docker-Content-Digest': image.digest,
      ETag: `"${image.digest}"`,
      'Content-Length': String(image.bytes.length),
    }
    const request = (method: string, headers: Record<string, string> = {}) =>
      registry.handle({ method, url: 'http://registry.test/v2/team/app/manifests/v1', headers: { get: (n) => headers[n.toLowerCase()] ?? null, has: (n) => n.toLowerCase() in headers } })
    for (let i = 0; i < 2; i++) {
      const get = await request('GET')
      expect(get.status).toBe(200)
      expect(Object.entries(get.headers)).toEqual(Object.entries(expected))
      expect(new TextDecoder().decode(get.body as Uint8Array)).toBe(image.bytes)
      expect(Object.entries((await request('HEAD')).headers)).toEqual(Object.entries(expected))
      const cached = await request('GET', { 'if-none-match': `"${image.digest}"` })
      expect(cached.status).toBe(304)
      expect(Object.entries(cached.headers)).toEqual(Object.entries({ ...expected, 'Content-Length': '0' }))
    }
  })

  it('sees a tag moved and a manifest deleted by another instance on the very next request', async () => {
    const storage = createMemoryDriver()
    const reader = registryOn(storage)
    const writer = registryOn(storage)
    const first = await pushImage(writer, 'team/app', 'v1', 1)
    const digestOf = async () => {
      const response = await call(reader, '/v2/team/app/manifests/v1', { headers: { Accept: DOCKER_MANIFEST } })
      await response.arrayBuffer()
      return response.status === 200 ? response.headers.get('docker-content-digest') : response.status
    }
    expect(await digestOf()).toBe(first.digest)
    const second = await pushImage(writer, 'team/app', 'v1', 2)
    expect(await digestOf()).toBe(second.digest)
    expect((await call(writer, `/v2/team/app/manifests/${second.digest}`, { method: 'DELETE' })).status).toBe(202)
    expect(await digestOf()).toBe(404)
  })

  it('refuses an invalid repository name every time, also after valid names were remembered', async () => {
    const registry = registryOn(createMemoryDriver())
    for (let i = 0; i < 3; i++) {
      expect((await call(registry, '/v2/team/app/manifests/v1')).status).toBe(404)
      const refused = await call(registry, '/v2/Team/App/manifests/v1')
      expect(refused.status).toBe(400)
      expect(await refused.text()).toContain('NAME_INVALID')
    }
  })
})
