import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, createRegistry, type Registry, type StorageDriver } from '@wharf/core'

// Empty repositories leave the catalog. The clock is moved forward instead of waiting (only `Date`
// is faked): objects age past the grace period (1 h) and the catalog cache (1 min).
const HOUR = 60 * 60_000
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const sha256 = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

afterEach(() => {
  vi.useRealTimers()
})

const call = (registry: Registry, path: string, init?: RequestInit) => registry.fetch(new Request(`http://registry.test${path}`, init))

/** Pushes a one-blob image (config only) as `repository:tag`; returns the manifest digest. */
async function pushImage(registry: Registry, repository: string, tag: string, label: string): Promise<string> {
  const config = `{"label":"${label}"}`
  expect((await call(registry, `/v2/${repository}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config })).status).toBe(201)
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] })
  expect((await call(registry, `/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })).status).toBe(201)
  return sha256(manifest)
}

const catalog = async (registry: Registry) => ((await (await call(registry, '/v2/_catalog')).json()) as { repositories: string[] }).repositories

function aged(driver: StorageDriver = createMemoryDriver()) {
  vi.useFakeTimers({ toFake: ['Date'] })
  let now = Date.parse('2026-01-01T00:00:00Z')
  vi.setSystemTime(now)
  return { driver, registry: createRegistry({ storage: driver }), age: (ms: number) => vi.setSystemTime((now += ms)) }
}

describe('empty repositories and the catalog', () => {
  // Invariant: a repository with nothing live and nothing written within the grace period leaves
  // `_catalog`; one with a tagged image, or emptied within the grace period, stays.
  it('removes an emptied repository from the catalog once its last write is older than the grace period', async () => {
    const { registry, age } = aged()
    const digest = await pushImage(registry, 'apps/gone', 'v1', 'gone')
    await pushImage(registry, 'apps/kept', 'v1', 'kept')
    await pushImage(registry, 'apps/kept/nested', 'v1', 'nested')
    expect((await call(registry, `/v2/apps/gone/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202)
    age(10 * 60_000)
    expect(await registry.collectGarbage({ deleteUntagged: true })).toMatchObject({ repositoriesRemoved: 0 })
    expect(await catalog(registry)).toEqual(['apps/gone', 'apps/kept', 'apps/kept/nested'])
    age(2 * HOUR)
    // This run tombstones the links, which makes the repository young again; a later one removes it.
    expect(await registry.collectGarbage({ deleteUntagged: true })).toMatchObject({ linksDeleted: 1, repositoriesRemoved: 0 })
    age(2 * HOUR)
    expect(await registry.collectGarbage({ deleteUntagged: true, dryRun: true })).toMatchObject({ repositoriesRemoved: 1 })
    expect(await catalog(registry)).toEqual(['apps/gone', 'apps/kept', 'apps/kept/nested'])
    expect(await registry.collectGarbage({ deleteUntagged: true })).toMatchObject({ repositoriesRemoved: 1 })
    expect(await catalog(registry)).toEqual(['apps/kept', 'apps/kept/nested'])
    expect((await call(registry, '/v2/apps/gone/tags/list')).status).toBe(404)
    // Pushing again brings it back.
    await pushImage(registry, 'apps/gone', 'v2', 'again')
    expect(await catalog(registry)).toEqual(['apps/gone', 'apps/kept', 'apps/kept/nested'])
  })

  // Invariant: a push racing the removal wins — the repository is listed after the collection,
  // whether the push lands just before or just after the collector removes the marker.
  it.each(['before', 'after'] as const)('keeps a repository listed when a push lands %s the collector removes its marker', async (when) => {
    const inner = createMemoryDriver()
    let pushing: Promise<unknown> | undefined
    let registry!: Registry
    const driver: StorageDriver = {
      ...inner,
      async delete(key, options) {
        if (key !== 'catalog/apps/gone' || pushing) return inner.delete(key, options)
        // A second registry on the same storage (another process) pushes into the repository.
        pushing = pushImage(createRegistry({ storage: inner }), 'apps/gone', 'v2', 'racing')
        if (when === 'before') await pushing
        await inner.delete(key, options)
        if (when === 'after') await pushing
      },
    }
    const setup = aged(driver)
    registry = setup.registry
    const digest = await pushImage(registry, 'apps/gone', 'v1', 'gone')
    expect((await call(registry, `/v2/apps/gone/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202)
    setup.age(2 * HOUR)
    await registry.collectGarbage({ deleteUntagged: true })
    setup.age(2 * HOUR)
    await registry.collectGarbage({ deleteUntagged: true })
    expect(pushing).toBeDefined()
    expect(await catalog(registry)).toEqual(['apps/gone'])
    expect((await call(registry, '/v2/apps/gone/manifests/v2', { method: 'HEAD' })).status).toBe(200)
  })
})
