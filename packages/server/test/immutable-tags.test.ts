/**
 * Immutable tags (`policies.immutabletags`), through a real port on a filesystem storage, including
 * two server instances on one storage racing to create the same tag.
 */
import { parseConfig, toConfigDocument } from '@wharf/server'
import { afterEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage, sha256 } from './helpers/registry-client.js'

const yaml = (root: string, tags = '[v*]') => `
storage:
  filesystem: { rootdirectory: ${root} }
  delete: { enabled: true }
policies:
  immutabletags:
    - repositories: prod/**
      tags: ${tags}
`

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function start(tags?: string): Promise<{ server: TestServer; root: string }> {
  const dir = await createTempDir()
  cleanups.push(dir.remove)
  const server = await startFromYaml(yaml(dir.path, tags))
  cleanups.push(() => server.close())
  return { server, root: dir.path }
}

const putManifest = (base: string, repository: string, reference: string, manifest: string) =>
  fetch(`${base}/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })

const resolve = async (base: string, repository: string, tag: string) =>
  (await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })).headers.get('docker-content-digest')

async function expectDenied(res: Response): Promise<Record<string, unknown>> {
  expect(res.status).toBe(403)
  const error = ((await res.json()) as { errors: Array<{ code: string; message: string; detail: Record<string, unknown> }> }).errors[0]!
  expect(error.code).toBe('DENIED')
  expect(error.message).toMatch(/is immutable \(rule prod\/\*\*: /)
  return error.detail
}

/** Two images of one repository: manifests with different digests whose blobs are all pushed. */
async function twoImages(base: string, repository: string) {
  const a = await pushImage(base, repository, 'scratch-a', new TextEncoder().encode('layer a'))
  const b = await pushImage(base, repository, 'scratch-b', new TextEncoder().encode('layer b'))
  return { a, b }
}

describe('policies.immutabletags configuration', () => {
  it('reads rules from YAML and REGISTRY_POLICIES_IMMUTABLETAGS', () => {
    const loaded = parseConfig(toConfigDocument('storage: { inmemory: }'), { env: { REGISTRY_POLICIES_IMMUTABLETAGS: '[{repositories: "prod/**", tags: ["v*", latest]}]' } })
    expect(loaded.config.policies.immutabletags).toEqual([{ repositories: 'prod/**', tags: ['v*', 'latest'] }])
    expect(() => parseConfig(toConfigDocument('storage: { inmemory: }\npolicies: { immutabletags: [{ repositories: "prod/**", tags: [] }] }'))).toThrow(
      /policies\.immutabletags\[0\]\.tags: expected a list of tag patterns/,
    )
  })
})

describe('immutable tags through a real port (fs)', () => {
  it('refuses moving or deleting an existing v* tag, and deleting its manifest by digest', async () => {
    // Invariant: once prod/app:v1 points at A, nothing but a re-push of A changes what it resolves to.
    const { server } = await start()
    const { a, b } = await twoImages(server.url, 'prod/app')
    expect((await putManifest(server.url, 'prod/app', 'v1', a.manifest)).status).toBe(201)
    expect(await expectDenied(await putManifest(server.url, 'prod/app', 'v1', b.manifest))).toMatchObject({
      tag: 'v1',
      digest: a.manifestDigest,
      rule: { repositories: 'prod/**', tag: 'v*' },
    })
    await expectDenied(await fetch(`${server.url}/v2/prod/app/manifests/v1`, { method: 'DELETE' }))
    await expectDenied(await fetch(`${server.url}/v2/prod/app/manifests/${a.manifestDigest}`, { method: 'DELETE' }))
    expect(await resolve(server.url, 'prod/app', 'v1')).toBe(a.manifestDigest)
    // Re-pushing the same digest to the tag is allowed.
    expect((await putManifest(server.url, 'prod/app', 'v1', a.manifest)).status).toBe(201)
    expect((await fetch(`${server.url}/v2/prod/app/manifests/v1?tag=v1`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: a.manifest })).status).toBe(201)
    expect(await resolve(server.url, 'prod/app', 'v1')).toBe(a.manifestDigest)
  })

  it('keeps latest, tags no pattern matches and repositories no rule covers mutable', async () => {
    // Invariant: a rule only binds the tags and repositories it names; `*` does not make latest immutable.
    const { server } = await start('["*"]')
    const { a, b } = await twoImages(server.url, 'prod/app')
    for (const manifest of [a.manifest, b.manifest]) expect((await putManifest(server.url, 'prod/app', 'latest', manifest)).status).toBe(201)
    expect(await resolve(server.url, 'prod/app', 'latest')).toBe(b.manifestDigest)
    expect((await fetch(`${server.url}/v2/prod/app/manifests/latest`, { method: 'DELETE' })).status).toBe(202)
    const dev = await twoImages(server.url, 'dev/app')
    for (const manifest of [dev.a.manifest, dev.b.manifest]) expect((await putManifest(server.url, 'dev/app', 'v1', manifest)).status).toBe(201)
    expect((await fetch(`${server.url}/v2/dev/app/manifests/${dev.b.manifestDigest}`, { method: 'DELETE' })).status).toBe(202)
  })

  it('lets exactly one of two concurrent pushes of different digests create the tag (two instances, one storage)', async () => {
    // Invariant: two pushes racing to create an immutable tag never both succeed; the tag points at the winner.
    const { server, root } = await start()
    const other = await startFromYaml(yaml(root))
    cleanups.push(() => other.close())
    const { a, b } = await twoImages(server.url, 'prod/app')
    for (let round = 0; round < 12; round++) {
      const tag = `v${round}`
      const [first, second] = await Promise.all([putManifest(server.url, 'prod/app', tag, a.manifest), putManifest(other.url, 'prod/app', tag, b.manifest)])
      const statuses = [first.status, second.status].sort()
      expect(statuses).toEqual([201, 403])
      const winner = first.status === 201 ? a.manifestDigest : b.manifestDigest
      for (const base of [server.url, other.url]) expect(await resolve(base, 'prod/app', tag)).toBe(winner)
    }
    expect(sha256(a.manifest)).toBe(a.manifestDigest)
  })
})
