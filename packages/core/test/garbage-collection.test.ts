import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, createRegistry, type Registry, type StorageDriver } from '@wharf/core'

// The collector on the memory driver, with the clock moved forward instead of waiting: objects age
// past the grace period (1 h) and the touch interval (10 min) the way they would in a long-lived
// registry. Only `Date` is faked; promises and I/O run as usual.
const HOUR = 60 * 60_000
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

afterEach(() => {
  vi.useRealTimers()
})

const call = (registry: Registry, path: string, init?: RequestInit) => registry.fetch(new Request(`http://registry.test${path}`, init))

async function pushBlob(registry: Registry, repository: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes)
  const response = await call(registry, `/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes })
  expect(response.status).toBe(201)
  return digest
}

/** A manifest over `blobs` (first one the config); not pushed. */
function manifestOf(blobs: { digest: string; size: number }[], label = ''): string {
  const [config, ...layers] = blobs
  const descriptor = (mediaType: string, b: { digest: string; size: number }) => ({ mediaType, digest: b.digest, size: b.size })
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor('application/vnd.oci.image.config.v1+json', config!),
    layers: layers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar', l)),
    ...(label ? { annotations: { label } } : {}),
  })
}

const putManifest = (registry: Registry, repository: string, reference: string, manifest: string) =>
  call(registry, `/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })

async function pushImage(registry: Registry, repository: string, tag: string, contents: string[]): Promise<{ digest: string; blobs: string[] }> {
  const blobs = []
  for (const content of contents) blobs.push({ digest: await pushBlob(registry, repository, new TextEncoder().encode(content)), size: content.length })
  const manifest = manifestOf(blobs, `${repository}:${tag}`)
  expect((await putManifest(registry, repository, tag, manifest)).status).toBe(201)
  return { digest: sha256(manifest), blobs: blobs.map((b) => b.digest) }
}

async function dataObjects(driver: StorageDriver): Promise<number> {
  return (await driver.list('data/', { limit: 10_000 })).keys.length
}

function agedRegistry(): { driver: StorageDriver; registry: Registry; age(ms: number): void } {
  vi.useFakeTimers({ toFake: ['Date'] })
  let now = Date.parse('2026-01-01T00:00:00Z')
  vi.setSystemTime(now)
  const driver = createMemoryDriver()
  return { driver, registry: createRegistry({ storage: driver }), age: (ms) => vi.setSystemTime((now += ms)) }
}

describe('online garbage collection', () => {
  it('removes an untagged manifest and the blobs only it used, keeps what a tag reaches, and a dry run removes nothing', async () => {
    const { driver, registry, age } = agedRegistry()
    const kept = await pushImage(registry, 'app', 'v1', ['config-a', 'shared-layer', 'layer-a'])
    const gone = await pushImage(registry, 'app', 'v2', ['config-b', 'shared-layer', 'layer-b'])
    expect((await call(registry, '/v2/app/manifests/v2', { method: 'DELETE' })).status).toBe(202)
    age(2 * HOUR)
    expect(await dataObjects(driver)).toBe(5)

    const dry = await registry.collectGarbage({ deleteUntagged: true, dryRun: true })
    expect(dry).toMatchObject({ dryRun: true, manifestsDeleted: 1, linksDeleted: 2, blobsDeleted: 2, bytesReclaimed: 15 })
    expect(await dataObjects(driver)).toBe(5)
    expect((await call(registry, `/v2/app/manifests/${gone.digest}`, { method: 'HEAD' })).status).toBe(200)

    const report = await registry.collectGarbage({ deleteUntagged: true })
    expect(report).toMatchObject({ dryRun: false, manifestsDeleted: 1, linksDeleted: 2, blobsDeleted: 2, bytesReclaimed: 15 })
    expect(await dataObjects(driver)).toBe(3)
    expect((await call(registry, `/v2/app/manifests/${gone.digest}`, { method: 'HEAD' })).status).toBe(404)
    for (const blob of kept.blobs) expect((await call(registry, `/v2/app/blobs/${blob}`)).status).toBe(200)
    expect((await call(registry, `/v2/app/blobs/${gone.blobs[2]}`)).status).toBe(404)
    // Usage follows the collection without a rebuild: what is left is the kept image's three blobs.
    const usage = await registry.usage('app')
    expect(usage.repositories[0]).toMatchObject({ bytes: 8 + 12 + 7 })
    expect(usage.total).toMatchObject({ bytes: 8 + 12 + 7 })
    // A second run finds nothing more.
    expect(await registry.collectGarbage({ deleteUntagged: true })).toMatchObject({ manifestsDeleted: 0, linksDeleted: 0, blobsDeleted: 0, dataObjectsDeleted: 0 })
  })

  it('keeps a manifest untagged less than the grace period ago, though it was pushed long before', async () => {
    const { registry, age } = agedRegistry()
    const first = await pushImage(registry, 'app', 'latest', ['config-1', 'layer-1'])
    age(5 * HOUR)
    await pushImage(registry, 'app', 'latest', ['config-2', 'layer-2'])
    age(10 * 60_000)
    await registry.collectGarbage({ deleteUntagged: true })
    // Digest-pinned pulls of the manifest the tag just left still work.
    expect((await call(registry, `/v2/app/manifests/${first.digest}`, { method: 'HEAD' })).status).toBe(200)
    age(2 * HOUR)
    expect((await registry.collectGarbage({ deleteUntagged: true })).manifestsDeleted).toBe(1)
    expect((await call(registry, `/v2/app/manifests/${first.digest}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('never stores a manifest over a blob the collector removed: HEAD, collect, PUT answers MANIFEST_BLOB_UNKNOWN', async () => {
    const { registry, age } = agedRegistry()
    const config = await pushBlob(registry, 'app', new TextEncoder().encode('cfg'))
    const layer = await pushBlob(registry, 'app', new TextEncoder().encode('lay'))
    expect((await call(registry, `/v2/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(200)
    age(2 * HOUR)
    await registry.collectGarbage()
    const put = await putManifest(registry, 'app', 'v1', manifestOf([{ digest: config, size: 3 }, { digest: layer, size: 3 }]))
    expect(put.status).toBe(400)
    expect(((await put.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN')
    expect((await call(registry, '/v2/app/manifests/v1', { method: 'HEAD' })).status).toBe(404)
  })

  it('keeps a blob whose manifest PUT lands while the collector is about to remove it: the PUT touched it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let now = Date.parse('2026-01-01T00:00:00Z')
    vi.setSystemTime(now)
    const inner = createMemoryDriver()
    // Holds the collector's compare-and-swaps on links until the manifest PUT has finished.
    let release!: () => void
    const putDone = new Promise<void>((resolve) => (release = resolve))
    let held = false
    const driver: StorageDriver = {
      ...inner,
      async put(key, body, options) {
        if (key.includes('/_layers/') && options?.ifMatch && new TextDecoder().decode(body).includes('"deleted"')) {
          held = true
          await putDone
        }
        return inner.put(key, body, options)
      },
    }
    const registry = createRegistry({ storage: driver })
    const config = await pushBlob(registry, 'app', new TextEncoder().encode('cfg'))
    const layer = await pushBlob(registry, 'app', new TextEncoder().encode('lay'))
    vi.setSystemTime((now += 2 * HOUR))
    const collecting = registry.collectGarbage()
    await vi.waitUntil(() => held, { timeout: 10_000, interval: 5 })
    const put = await putManifest(registry, 'app', 'v1', manifestOf([{ digest: config, size: 3 }, { digest: layer, size: 3 }]))
    expect(put.status).toBe(201)
    release()
    const report = await collecting
    expect(report.linksDeleted).toBe(0)
    expect(report.blobsDeleted).toBe(0)
    for (const blob of [config, layer]) expect((await call(registry, `/v2/app/blobs/${blob}`)).status).toBe(200)
  })

  it('refuses to run while reads still fall back to a registry:2 tree', async () => {
    const driver = createMemoryDriver()
    await driver.put('docker/registry/v2/repositories/old/_layers/sha256/aa/link', new TextEncoder().encode('sha256:aa'))
    const registry = createRegistry({ storage: driver })
    expect((await registry.registry2Status()).fallback).toBe(true)
    await expect(registry.collectGarbage()).rejects.toThrow(/migrate/)
  })
})
