import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, createRegistry, migrateRegistry2, type Registry, type StorageDriver } from '@wharf/core'

// The collector on a registry:2 tree taken over in place (memory driver: object names are registry:2's
// paths, as on S3 and Azure). The clock is moved forward instead of waiting; only `Date` is faked.
const HOUR = 60 * 60_000
const V2 = 'docker/registry/v2'
const encoder = new TextEncoder()
const hex = (data: string) => createHash('sha256').update(data).digest('hex')
const dataPath = (h: string) => `${V2}/blobs/sha256/${h.slice(0, 2)}/${h}/data`

afterEach(() => {
  vi.useRealTimers()
})

interface Image {
  manifest: string
  blobs: string[]
  bytes: string
}

/** Writes what registry:2 leaves for a push of a one-layer image to `repository:tag`. */
async function registry2Image(driver: StorageDriver, repository: string, tag: string, contents: [string, string]): Promise<Image> {
  const repo = `${V2}/repositories/${repository}`
  const blobs: string[] = []
  for (const content of contents) {
    const h = hex(content)
    await driver.put(dataPath(h), encoder.encode(content))
    await driver.put(`${repo}/_layers/sha256/${h}/link`, encoder.encode(`sha256:${h}`))
    blobs.push(h)
  }
  const descriptor = (mediaType: string, h: string, content: string) => ({ mediaType, digest: `sha256:${h}`, size: content.length })
  const bytes = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: descriptor('application/vnd.oci.image.config.v1+json', blobs[0]!, contents[0]),
    layers: [descriptor('application/vnd.oci.image.layer.v1.tar', blobs[1]!, contents[1])],
  })
  const manifest = hex(bytes)
  await driver.put(dataPath(manifest), encoder.encode(bytes))
  await driver.put(`${repo}/_manifests/revisions/sha256/${manifest}/link`, encoder.encode(`sha256:${manifest}`))
  await tagRegistry2(driver, repository, tag, manifest)
  return { manifest, blobs, bytes }
}

async function tagRegistry2(driver: StorageDriver, repository: string, tag: string, manifest: string): Promise<void> {
  const tags = `${V2}/repositories/${repository}/_manifests/tags/${tag}`
  await driver.put(`${tags}/current/link`, encoder.encode(`sha256:${manifest}`))
  await driver.put(`${tags}/index/sha256/${manifest}/link`, encoder.encode(`sha256:${manifest}`))
}

const call = (registry: Registry, path: string, init?: RequestInit) => registry.fetch(new Request(`http://registry.test${path}`, init))
const exists = async (driver: StorageDriver, key: string) => (await driver.stat(key)) !== undefined
const registry2Keys = async (driver: StorageDriver) => (await driver.list(`${V2}/`, { limit: 10_000 })).keys

/** Reads `image` back through wharf: manifest by tag, every blob byte-identical. */
async function expectServed(registry: Registry, repository: string, tag: string, image: Image, contents: string[]): Promise<void> {
  const manifest = await call(registry, `/v2/${repository}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
  expect(manifest.status).toBe(200)
  expect(await manifest.text()).toBe(image.bytes)
  for (const [i, h] of image.blobs.entries()) {
    const blob = await call(registry, `/v2/${repository}/blobs/sha256:${h}`)
    expect(blob.status).toBe(200)
    expect(await blob.text()).toBe(contents[i])
  }
}

/** registry:2 content migrated at T0, the clock two hours later: everything is past the 1 h grace. */
async function takenOver() {
  vi.useFakeTimers({ toFake: ['Date'] })
  let now = Date.parse('2026-01-01T00:00:00Z')
  vi.setSystemTime(now)
  const driver = createMemoryDriver()
  const kept = await registry2Image(driver, 'apps/a', 'v1', ['config kept', 'layer shared'])
  const gone = await registry2Image(driver, 'apps/a', 'old', ['config gone', 'layer gone'])
  const other = await registry2Image(driver, 'apps/b', 'v1', ['config other', 'layer shared'])
  await driver.put(`${V2}/repositories/apps/a/_uploads/0b7d1c3e-0000-4000-8000-000000000000/startedat`, encoder.encode('2025-12-31T00:00:00Z'))
  await migrateRegistry2({ storage: driver })
  const registry = createRegistry({ storage: driver })
  return { driver, registry, kept, gone, other, age: (ms: number) => vi.setSystemTime((now += ms)) }
}

describe('garbage collection of a migrated registry:2 tree', () => {
  // Invariant: registry:2 bytes of an image no tag reaches go (with its revision link, layer links and
  // tag directory); bytes any kept image of either layout references stay and pull byte-identical.
  it('removes the bytes and files of an image deleted through wharf, keeps every tagged image, and a dry run removes nothing', async () => {
    const { driver, registry, kept, gone, other, age } = await takenOver()
    expect((await call(registry, '/v2/apps/a/manifests/old', { method: 'DELETE' })).status).toBe(202)
    age(2 * HOUR)
    const before = await registry2Keys(driver)

    const dry = await registry.collectGarbage({ deleteUntagged: true, dryRun: true })
    expect(await registry2Keys(driver)).toEqual(before)
    const report = await registry.collectGarbage({ deleteUntagged: true })
    expect(report).toMatchObject({ manifestsDeleted: 1, blobsDeleted: 3, bytesReclaimed: 'config gone'.length + 'layer gone'.length + gone.bytes.length })
    // A dry run counts the registry:2 files wharf already shadows, not those its own sweep would shadow.
    expect(dry).toMatchObject({ ...report, dryRun: true, durationMs: dry.durationMs, registry2FilesDeleted: 2 })
    expect(report.registry2FilesDeleted).toBe(5) // tag directory, revision link, two layer links, the idle upload

    for (const h of [gone.manifest, ...gone.blobs]) expect(await exists(driver, dataPath(h))).toBe(false)
    expect(await exists(driver, `${V2}/repositories/apps/a/_manifests/tags/old/current/link`)).toBe(false)
    expect(await exists(driver, `${V2}/repositories/apps/a/_manifests/revisions/sha256/${gone.manifest}/link`)).toBe(false)
    expect(await exists(driver, `${V2}/repositories/apps/a/_layers/sha256/${gone.blobs[1]}/link`)).toBe(false)
    expect((await registry2Keys(driver)).some((k) => k.includes('/_uploads/'))).toBe(false)
    for (const h of [kept.manifest, ...kept.blobs, other.manifest, ...other.blobs]) expect(await exists(driver, dataPath(h))).toBe(true)
    await expectServed(registry, 'apps/a', 'v1', kept, ['config kept', 'layer shared'])
    await expectServed(registry, 'apps/b', 'v1', other, ['config other', 'layer shared'])
    expect((await call(registry, `/v2/apps/a/manifests/sha256:${gone.manifest}`, { method: 'HEAD' })).status).toBe(404)
    // A second run finds nothing more, and a new migrate run revives nothing.
    expect(await registry.collectGarbage({ deleteUntagged: true })).toMatchObject({ manifestsDeleted: 0, blobsDeleted: 0, dataObjectsDeleted: 0, registry2FilesDeleted: 0 })
    await migrateRegistry2({ storage: driver })
    expect((await call(registry, `/v2/apps/a/manifests/sha256:${gone.manifest}`, { method: 'HEAD' })).status).toBe(404)
  })

  // Invariant: a registry:2 tag link wharf holds no object for is a root, like a tag of wharf's.
  it('keeps an image that only a registry:2 tag written after the migration reaches', async () => {
    const { driver, registry, gone, age } = await takenOver()
    expect((await call(registry, '/v2/apps/a/manifests/old', { method: 'DELETE' })).status).toBe(202)
    await tagRegistry2(driver, 'apps/a', 'pinned', gone.manifest)
    age(2 * HOUR)
    await registry.collectGarbage({ deleteUntagged: true })
    for (const h of [gone.manifest, ...gone.blobs]) expect(await exists(driver, dataPath(h))).toBe(true)
    expect((await call(registry, `/v2/apps/a/manifests/sha256:${gone.manifest}`, { method: 'HEAD' })).status).toBe(200)
  })

  // Invariant: a mount of registry:2-backed content racing the collector leaves the mounted blob
  // readable: the mount touches the blob record, so the collector keeps the record and its bytes.
  it('keeps registry:2 bytes a mount links while the collector sweeps (the mount touched the record)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let now = Date.parse('2026-01-01T00:00:00Z')
    vi.setSystemTime(now)
    const inner = createMemoryDriver()
    const gone = await registry2Image(inner, 'apps/a', 'old', ['config racing', 'layer racing'])
    await registry2Image(inner, 'apps/0', 'v1', ['config target', 'layer target'])
    await migrateRegistry2({ storage: inner })
    let mounted: Response | undefined
    let registry!: Registry
    const layerLink = `repositories/apps/a/_layers/sha256/${gone.blobs[1]}`
    const driver: StorageDriver = {
      ...inner,
      async put(key, body, options) {
        // Just before the collector tombstones apps/a's link (apps/0 was swept already), mount from it.
        if (key === layerLink && options?.ifMatch && !mounted) {
          mounted = await call(registry, `/v2/apps/0/blobs/uploads/?mount=sha256:${gone.blobs[1]}&from=apps/a`, { method: 'POST' })
        }
        return inner.put(key, body, options)
      },
    }
    registry = createRegistry({ storage: driver })
    expect((await call(registry, '/v2/apps/a/manifests/old', { method: 'DELETE' })).status).toBe(202)
    vi.setSystemTime((now += 2 * HOUR))
    await registry.collectGarbage({ deleteUntagged: true })
    expect(mounted?.status).toBe(201)
    expect(await exists(inner, dataPath(gone.blobs[1]!))).toBe(true)
    const blob = await call(registry, `/v2/apps/0/blobs/sha256:${gone.blobs[1]}`)
    expect(blob.status).toBe(200)
    expect(await blob.text()).toBe('layer racing')
  })

  // Invariant: registry:2 bytes younger than the grace period stay, whatever references them.
  it('keeps registry:2 bytes no record or link points at while they are younger than the grace period, then removes them', async () => {
    const { driver, registry, age } = await takenOver()
    const stray = hex('stray')
    await driver.put(dataPath(stray), encoder.encode('stray'))
    await registry.collectGarbage()
    expect(await exists(driver, dataPath(stray))).toBe(true)
    age(2 * HOUR)
    expect((await registry.collectGarbage()).dataObjectsDeleted).toBe(1)
    expect(await exists(driver, dataPath(stray))).toBe(false)
    // Fenced: the blob is a tombstone now, so a migrate run after cannot record the (gone) bytes.
    expect(new TextDecoder().decode((await driver.get(`blobs/sha256/${stray.slice(0, 2)}/${stray}`)).body)).toContain('deleted')
  })

  // Invariant: without a finished migration, no registry:2 file is ever removed.
  it('removes no registry:2 file where migrate has not finished (fallback turned off by hand)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'))
    const driver = createMemoryDriver()
    await registry2Image(driver, 'apps/a', 'v1', ['c', 'l'])
    const before = await registry2Keys(driver)
    vi.setSystemTime(Date.parse('2026-01-02T00:00:00Z'))
    const registry = createRegistry({ storage: driver, registry2: { mode: 'off' } })
    expect(await registry.collectGarbage({ deleteUntagged: true })).not.toHaveProperty('registry2FilesDeleted')
    expect(await registry2Keys(driver)).toEqual(before)
  })
})
