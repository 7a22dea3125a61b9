import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, migrateRegistry2, type Registry, type StorageDriver } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { createS3Driver } from '../../src/index.js'
import { createInspector, registry2StorageYaml, testDriverOptions, uniquePrefix } from '../support/s3-server.js'
import { hasReferenceRegistry, hasSkopeo, startReferenceRegistry, type ReferenceRegistry } from '../../../../test-support/registry2/reference-registry2.js'
import { OciLayout, getManifest, skopeo } from '../../../../test-support/registry2/registry2-content.js'
import { expectCopiedBack, fillReferenceRegistry, pageCatalog, referrerDigests, snapshotRegistry, type Registry2Content } from '../../../../test-support/registry2/registry2-scenario.js'

/**
 * registry:2 (Debian's docker-registry 2.8, its s3 driver) fills a radosgw bucket under a
 * `rootdirectory`; wharf on the same bucket and prefix serves it in place, migrates it (twice: the
 * second run writes nothing) and takes new pushes. No blob byte is copied: wharf's `data/` stays
 * empty until something new is pushed.
 */
describe.skipIf(!hasReferenceRegistry || !hasSkopeo)('taking over a registry:2 bucket on S3 (radosgw)', () => {
  const prefix = uniquePrefix('registry2')
  const inspector = createInspector()
  let dir: string
  let reference: ReferenceRegistry
  let storage: StorageDriver
  let content: Registry2Content
  let wharf: { registry: Registry; server: RunningRegistry } | undefined

  const start = async () => {
    const registry = createRegistry({ storage: createS3Driver(testDriverOptions({ prefix })), onError: (error) => console.error(error) })
    wharf = { registry, server: await startRegistry(registry) }
    return wharf.server
  }
  const stop = async () => {
    wharf?.server.server.closeAllConnections()
    await wharf?.server.close()
    await wharf?.registry.close()
    wharf = undefined
  }
  /** wharf's blob bytes under the prefix (`data/<upload-id>`), as full S3 keys. */
  const wharfData = () => inspector.objects(`${prefix}/data/`)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-s3-takeover-'))
    storage = createS3Driver(testDriverOptions({ prefix }))
    const storageYaml = registry2StorageYaml(prefix)
    reference = await startReferenceRegistry(dir, storageYaml)
    content = await fillReferenceRegistry(reference, dir, (path) => storage.deletePrefix(`${path}/`))
  }, 180_000)

  afterAll(async () => {
    await stop()
    await reference?.stop()
    await storage?.deletePrefix('docker/')
    await storage?.close?.()
    inspector.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('serves every repository, tag and manifest exactly as registry:2 does, before any migration', async () => {
    expect((await inspector.objects(`${prefix}/docker/registry/v2/blobs/`)).length).toBeGreaterThan(0)
    const expected = await snapshotRegistry(reference.url)
    const server = await start()
    expect(await snapshotRegistry(server.url)).toEqual(expected)
    expect(await wharf!.registry.registry2Status()).toMatchObject({ detected: true, fallback: true })
    expect((await getManifest(server.url, 'apps/gone', content.deletedDigest)).status).toBe(404)
    expect((await getManifest(server.url, 'apps/schema2', 'old')).status).toBe(404)
    expect(await pageCatalog(server.url)).toEqual(expected['catalog'])
    // registry:2 keeps no referrers index: its artifacts are listed once `migrate` has written one.
    expect(await referrerDigests(server.url, 'apps/oci', content.pushed['apps/oci:v1']!)).toEqual([])
    expect((await getManifest(server.url, 'apps/oci', 'sig')).digest).toBe(content.pushed['sig'])
  })

  it('lets skopeo copy every image back with the same digests, copying no blob bytes', async () => {
    await expectCopiedBack(wharf!.server.address, content, join(dir, 'out'))
    expect(await wharfData()).toEqual([])
  })

  it('hides a registry:2 tag deleted through wharf, leaving registry:2 objects untouched', async () => {
    expect((await fetch(`${wharf!.server.url}/v2/apps/oci/manifests/keep`, { method: 'DELETE' })).status).toBe(202)
    expect((await getManifest(wharf!.server.url, 'apps/oci', 'keep')).status).toBe(404)
    expect(await storage.stat('docker/registry/v2/repositories/apps/oci/_manifests/tags/keep/current/link')).toBeDefined()
  })

  it('migrates metadata (a second run writes nothing), then serves the same without the fallback', async () => {
    const before = await snapshotRegistry(wharf!.server.url)
    const first = await migrateRegistry2({ storage })
    expect(first).toMatchObject({ repositories: 4, skipped: 0, uploadsLeft: 1 })
    expect(first.written).toBeGreaterThan(0)
    const second = await migrateRegistry2({ storage })
    expect(second).toMatchObject({ written: 0, repositories: 4, manifests: first.manifests, blobs: first.blobs })
    await stop()
    const server = await start()
    expect((await wharf!.registry.registry2Status()).fallback).toBe(false)
    expect(await snapshotRegistry(server.url)).toEqual(before)
    expect(await referrerDigests(server.url, 'apps/oci', content.pushed['apps/oci:v1']!)).toEqual([content.pushed['sig']])
    expect(await wharfData()).toEqual([])
  })

  it('takes new pushes after migration; only their new blobs are stored', async () => {
    const host = wharf!.server.address
    await skopeo('copy', `docker://${host}/apps/oci:v1`, `docker://${host}/fresh/copy:v1`)
    const layout = new OciLayout(join(dir, 'layout2'))
    await layout.tag('new', await layout.image('amd64'))
    await skopeo('copy', `oci:${layout.dir}:new`, `docker://${host}/apps/oci:new`)
    expect((await getManifest(wharf!.server.url, 'fresh/copy', 'v1')).digest).toBe(content.pushed['apps/oci:v1'])
    expect((await getManifest(wharf!.server.url, 'apps/oci', 'new')).status).toBe(200)
    await expectCopiedBack(host, { ...content, pushed: { 'fresh/copy:v1': content.pushed['apps/oci:v1']! } }, join(dir, 'out2'))
    expect(await wharfData()).toHaveLength(2) // the new image's layer and config
  })
})
