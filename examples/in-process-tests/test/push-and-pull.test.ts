/**
 * What a test suite that needs a container registry looks like with wharf: instead of starting a
 * `registry:2` container, start a real registry inside the test process on an ephemeral port, point
 * the code under test at `running.address`, and assert on what was stored.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createMemoryDriver, createRegistry, type Registry, type RegistryEvent } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

describe('an image pushed to an in-process registry', () => {
  let registry: Registry
  let running: RunningRegistry
  const events: RegistryEvent[] = []

  beforeAll(async () => {
    registry = createRegistry({ storage: createMemoryDriver() })
    registry.events.on('push', (event) => events.push(event))
    running = await startRegistry(registry) // 127.0.0.1 on a free port, ready when this resolves
  })
  afterAll(async () => {
    await running.close()
    await registry.close()
  })

  /** Docker's upload flow in plain HTTP: POST opens a session, PATCH streams the bytes, PUT commits. */
  async function pushBlob(repo: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256(bytes)
    const opened = await fetch(`${running.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
    expect(opened.status).toBe(202)
    const patchUrl = new URL(opened.headers.get('location')!, running.url)
    const patched = await fetch(patchUrl, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes })
    expect(patched.status).toBe(202)
    const putUrl = new URL(patched.headers.get('location')!, running.url)
    putUrl.searchParams.set('digest', digest)
    const committed = await fetch(putUrl, { method: 'PUT' })
    expect(committed.status).toBe(201)
    return digest
  }

  async function pushImage(repo: string, tag: string) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }))
    const layer = randomBytes(64 * 1024)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(repo, config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await pushBlob(repo, layer), size: layer.length }],
      }),
    )
    const put = await fetch(`${running.url}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    })
    expect(put.status).toBe(201)
    return { manifest, layer, digest: sha256(manifest) }
  }

  it('serves the manifest by tag and by digest, byte for byte', async () => {
    const pushed = await pushImage('team/app', 'v1')
    const byTag = await fetch(`${running.url}/v2/team/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })
    expect(byTag.status).toBe(200)
    expect(byTag.headers.get('docker-content-digest')).toBe(pushed.digest)
    expect(Buffer.from(await byTag.arrayBuffer()).equals(pushed.manifest)).toBe(true)
    const byDigest = await fetch(`${running.url}/v2/team/app/manifests/${pushed.digest}`, { method: 'HEAD' })
    expect(byDigest.status).toBe(200)
  })

  it('serves the layer and lists the tags and the repository', async () => {
    const pushed = await pushImage('team/tool', 'latest')
    const layerDigest = sha256(pushed.layer)
    const layer = await fetch(`${running.url}/v2/team/tool/blobs/${layerDigest}`)
    expect(sha256(new Uint8Array(await layer.arrayBuffer()))).toBe(layerDigest)
    expect(await (await fetch(`${running.url}/v2/team/tool/tags/list`)).json()).toEqual({ name: 'team/tool', tags: ['latest'] })
    const catalog = (await (await fetch(`${running.url}/v2/_catalog`)).json()) as { repositories: string[] }
    expect(catalog.repositories).toContain('team/tool')
  })

  it('tells the host app about the push through events', async () => {
    const pushed = await pushImage('team/events', 'v2')
    await new Promise((resolve) => setTimeout(resolve, 0)) // events are delivered after the response
    const manifestPush = events.find((e) => e.repository === 'team/events' && e.target.kind === 'manifest')
    expect(manifestPush?.target).toMatchObject({ digest: pushed.digest, tag: 'v2' })
  })

  it('gives an image reference the code under test can use', () => {
    expect(running.address).toMatch(/^127\.0\.0\.1:\d+$/)
    // e.g. `skopeo copy --dest-tls-verify=false oci:dir:tag docker://${running.address}/team/app:v1`
  })
})
