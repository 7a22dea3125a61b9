import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, migrateRegistry2, type StorageDriver } from '@wharf/core'
import { startRegistry } from '@wharf/http-adapter'
import { createS3Driver } from '../../src/index.js'
import { registry2StorageYaml, testDriverOptions, uniquePrefix } from '../support/s3-server.js'
import { hasReferenceRegistry, hasSkopeo, startReferenceRegistry, type ReferenceRegistry } from '../../../../test-support/registry2/reference-registry2.js'
import { getManifest } from '../../../../test-support/registry2/registry2-content.js'
import { expectCopiedBack, fillReferenceRegistry, type Registry2Content } from '../../../../test-support/registry2/registry2-scenario.js'
import { multiArchDigests, registry2BlobPath, registry2Bytes, withoutMultiArch } from '../../../../test-support/registry2/registry2-gc-scenario.js'

/**
 * registry:2 (docker-registry 2.8, its s3 driver) fills a radosgw bucket under a `rootdirectory`,
 * is stopped, wharf migrates the tree; after a tag is deleted through wharf, two registries on the
 * same prefix collect at once. Invariant: registry:2's objects that only the deleted tag reached
 * are removed (the prefix shrinks), every kept image copies back byte-identical with skopeo.
 */
describe.skipIf(!hasReferenceRegistry || !hasSkopeo)('garbage collection of a registry:2 bucket taken over by wharf (radosgw)', () => {
  const prefix = uniquePrefix('registry2-gc')
  let dir: string
  let reference: ReferenceRegistry | undefined
  let storage: StorageDriver
  let content: Registry2Content
  let freed: string[]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-s3-registry2-gc-'))
    storage = createS3Driver(testDriverOptions({ prefix }))
    const storageYaml = registry2StorageYaml(prefix)
    reference = await startReferenceRegistry(dir, storageYaml)
    content = await fillReferenceRegistry(reference, dir, (path) => storage.deletePrefix(`${path}/`))
    freed = await multiArchDigests(reference, content)
    await reference.stop()
    reference = undefined
    await migrateRegistry2({ storage })
  }, 180_000)

  afterAll(async () => {
    await reference?.stop()
    await storage?.deletePrefix('')
    await storage?.close?.()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('removes what only the deleted tag reached, the prefix shrinks, and every kept image pulls byte-identical', async () => {
    const registry = createRegistry({ storage: createS3Driver(testDriverOptions({ prefix })) })
    const server = await startRegistry(registry)
    try {
      expect((await fetch(`${server.url}/v2/apps/multi/manifests/v1`, { method: 'DELETE' })).status).toBe(202)
      for (const digest of freed) expect(await storage.stat(registry2BlobPath(digest))).toBeDefined()
      const before = await registry2Bytes(storage)

      const other = createRegistry({ storage: createS3Driver(testDriverOptions({ prefix })) })
      const options = { deleteUntagged: true, graceMs: 0 }
      await Promise.all([registry.collectGarbage(options), other.collectGarbage(options)])
      await other.close()

      for (const digest of freed) expect(await storage.stat(registry2BlobPath(digest))).toBeUndefined()
      expect(await storage.stat('docker/registry/v2/repositories/apps/multi/_manifests/tags/v1/current/link')).toBeUndefined()
      expect(await registry2Bytes(storage)).toBeLessThan(before)
      expect((await storage.list('data/', { limit: 10 })).keys).toEqual([]) // no byte copied out of registry:2's tree
      await expectCopiedBack(server.address, withoutMultiArch(content), join(dir, 'out'))
      expect((await getManifest(server.url, 'apps/multi', content.pushed['apps/multi:v1']!)).status).toBe(404)
    } finally {
      server.server.closeAllConnections()
      await server.close()
      await registry.close()
    }
  })
})
