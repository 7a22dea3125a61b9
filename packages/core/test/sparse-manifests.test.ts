import { createHash } from 'node:crypto'
import { createMemoryDriver, createRegistry, type Registry, type SparseManifests } from '@wharf/core'
import { afterEach, describe, expect, it } from 'vitest'
import { call } from './helpers.js'

const sha256 = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const INDEX = 'application/vnd.oci.image.index.v1+json'
const IMAGE = 'application/vnd.oci.image.manifest.v1+json'

/** An image manifest whose config and layer were never pushed. */
const image = (seed: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: IMAGE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(`config ${seed}`), size: `config ${seed}`.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(`layer ${seed}`), size: `layer ${seed}`.length }],
  })

const child = (seed: string, os: string, architecture: string) => ({ mediaType: IMAGE, digest: sha256(image(seed)), size: image(seed).length, platform: { os, architecture } })

/** An index of two platforms, neither of which is in the registry. */
const index = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [child('amd64', 'linux', 'amd64'), child('arm64', 'linux', 'arm64')] })

let registry: Registry
afterEach(async () => registry?.close())

const put = (path: string, type: string, body: string) => call(registry, path, { method: 'PUT', headers: { 'Content-Type': type }, body })
const codeOf = async (res: Response) => ((await res.json()) as { errors: Array<{ code: string; detail: { digest: string } }> }).errors[0]!

function start(sparseManifests?: SparseManifests) {
  registry = createRegistry({ storage: createMemoryDriver(), ...(sparseManifests === undefined ? {} : { sparseManifests }) })
}

describe('sparse manifests', () => {
  it('are refused by default with MANIFEST_BLOB_UNKNOWN', async () => {
    start()
    const res = await put('/v2/a/b/manifests/multi', INDEX, index)
    expect(res.status).toBe(400)
    expect((await codeOf(res)).code).toBe('MANIFEST_BLOB_UNKNOWN')
    expect((await put('/v2/a/b/manifests/one', IMAGE, image('amd64'))).status).toBe(400)
  })

  it('with `true`, accepts an index without its children and an image without its blobs, pullable by tag and digest', async () => {
    start(true)
    expect((await put('/v2/a/b/manifests/multi', INDEX, index)).status).toBe(201)
    expect((await put('/v2/a/b/manifests/one', IMAGE, image('amd64'))).status).toBe(201)
    for (const ref of ['multi', sha256(index)]) {
      const res = await call(registry, `/v2/a/b/manifests/${ref}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('docker-content-digest')).toBe(sha256(index))
      expect(await res.text()).toBe(index)
    }
    expect((await call(registry, `/v2/a/b/manifests/${sha256(image('arm64'))}`)).status).toBe(404)
  })

  it("with platforms 'none', still requires an image manifest's blobs (as registry:3)", async () => {
    start({ platforms: 'none' })
    expect((await put('/v2/a/b/manifests/multi', INDEX, index)).status).toBe(201)
    expect((await put('/v2/a/b/manifests/one', IMAGE, image('amd64'))).status).toBe(400)
  })

  it('with a platform list, requires exactly the listed platforms present in the index', async () => {
    start({ platforms: [{ os: 'linux', architecture: 'arm64' }] })
    const refused = await put('/v2/a/b/manifests/multi', INDEX, index)
    expect(refused.status).toBe(400)
    expect((await codeOf(refused)).detail.digest).toBe(sha256(image('arm64')))

    start({ platforms: [{ os: 'linux', architecture: 'amd64' }], blobs: true })
    expect((await put('/v2/a/b/manifests/amd64', IMAGE, image('amd64'))).status).toBe(201)
    expect((await put('/v2/a/b/manifests/multi', INDEX, index)).status).toBe(201)
    expect((await call(registry, '/v2/a/b/manifests/multi')).status).toBe(200)
  })
})
