/**
 * registry:3's `validation.manifests.indexes` (sparse image indexes), read from config.yml and from
 * `REGISTRY_VALIDATION_MANIFESTS_INDEXES_*`, and its effect on pushes through a real port.
 */
import { createHash } from 'node:crypto'
import { parseConfig, toConfigDocument } from '@wharf/server'
import { afterEach, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'

const sha256 = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const INDEX = 'application/vnd.oci.image.index.v1+json'
const IMAGE = 'application/vnd.oci.image.manifest.v1+json'
const image = (seed: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: IMAGE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(`config ${seed}`), size: `config ${seed}`.length },
    layers: [],
  })
const child = (seed: string, os: string, architecture: string) => ({ mediaType: IMAGE, digest: sha256(image(seed)), size: image(seed).length, platform: { os, architecture } })
/** Two platforms, neither pushed. */
const index = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [child('amd64', 'linux', 'amd64'), child('arm64', 'linux', 'arm64')] })

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(yaml), { env })

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function putIndex(tag: string): Promise<Response> {
  return fetch(`${server!.url}/v2/multi/app/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': INDEX }, body: index })
}

describe('validation.manifests.indexes', () => {
  it('reads platforms in any case, the platform list, and the environment forms', () => {
    expect(parse('storage: { inmemory: }').config.validation.manifests.indexes).toEqual({ platforms: 'all', platformlist: [] })
    const listed = parse(`
storage: { inmemory: }
validation:
  manifests:
    indexes:
      platforms: List
      platformlist:
        - os: linux
          architecture: amd64
`)
    expect(listed.config.validation.manifests.indexes).toEqual({ platforms: 'list', platformlist: [{ os: 'linux', architecture: 'amd64' }] })
    expect(listed.unsupportedKeys).toEqual([])
    const fromEnv = parse('storage: { inmemory: }', {
      REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMS: 'list',
      REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMLIST: '[{os: linux, architecture: arm64}]',
    })
    expect(fromEnv.config.validation.manifests.indexes).toEqual({ platforms: 'list', platformlist: [{ os: 'linux', architecture: 'arm64' }] })
    expect(() => parse('storage: { inmemory: }', { REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMS: 'some' })).toThrow(
      /validation\.manifests\.indexes\.platforms \(from REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMS\): expected one of all, none, list/,
    )
  })

  it('refuses an index whose children are missing by default (MANIFEST_BLOB_UNKNOWN)', async () => {
    server = await startFromYaml('storage: { inmemory: }')
    const res = await putIndex('multi')
    expect(res.status).toBe(400)
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN')
  })

  it('with platforms: none, accepts the index and serves it by tag and by digest', async () => {
    server = await startFromYaml('storage: { inmemory: }', { env: { REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMS: 'none' } })
    expect((await putIndex('multi')).status).toBe(201)
    for (const ref of ['multi', sha256(index)]) {
      const res = await fetch(`${server.url}/v2/multi/app/manifests/${ref}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('docker-content-digest')).toBe(sha256(index))
      expect(await res.text()).toBe(index)
    }
  })

  it('with platforms: list, requires the listed platforms only', async () => {
    server = await startFromYaml(`
storage: { inmemory: }
validation: { manifests: { indexes: { platforms: list, platformlist: [{ os: linux, architecture: arm64 }] } } }
`)
    const refused = await putIndex('multi')
    expect(refused.status).toBe(400)
    const arm64 = image('arm64')
    const config = `config arm64`
    await fetch(`${server.url}/v2/multi/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config })
    expect((await fetch(`${server.url}/v2/multi/app/manifests/arm64`, { method: 'PUT', headers: { 'Content-Type': IMAGE }, body: arm64 })).status).toBe(201)
    expect((await putIndex('multi')).status).toBe(201)
  })
})
