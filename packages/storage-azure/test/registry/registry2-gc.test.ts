import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, migrateRegistry2, type StorageDriver } from '@wharf/core'
import { startRegistry } from '@wharf/http-adapter'
import { createAzureDriver } from '../../src/index.js'
import { freshContainer, keyOptions, sdkService } from '../connection.js'
import { hasReferenceRegistry, hasSkopeo, startReferenceRegistry, type ReferenceRegistry } from '../../../../test-support/registry2/reference-registry2.js'
import { getManifest } from '../../../../test-support/registry2/registry2-content.js'
import { expectCopiedBack, fillReferenceRegistry, type Registry2Content } from '../../../../test-support/registry2/registry2-scenario.js'
import { multiArchDigests, registry2BlobPath, registry2Bytes, withoutMultiArch } from '../../../../test-support/registry2/registry2-gc-scenario.js'

/** Every file under `dir`, as paths relative to it (`/`-separated). */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) yield relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/')
  }
}

/**
 * registry:2 (docker-registry 2.8) fills a tree that is uploaded into Azurite under a prefix, path
 * for path, as its azure driver lays it out (Debian's build has no azure driver; see
 * registry2-takeover.test.ts); registry:2 is stopped, wharf migrates the tree; after a tag is deleted through wharf, two registries on the
 * same prefix collect at once. Invariant: registry:2's blobs that only the deleted tag reached
 * are removed (the prefix shrinks), every kept image copies back byte-identical with skopeo.
 */
describe.skipIf(!hasReferenceRegistry || !hasSkopeo)('garbage collection of a registry:2 tree on Azure Blob taken over by wharf (Azurite)', () => {
  const container = freshContainer('registry2-gc')
  const prefix = 'registry'
  let dir: string
  let reference: ReferenceRegistry | undefined
  let storage: StorageDriver
  let content: Registry2Content
  let freed: string[]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-azure-registry2-gc-'))
    const root = join(dir, 'data')
    reference = await startReferenceRegistry(dir, `  filesystem:\n    rootdirectory: ${root}`)
    content = await fillReferenceRegistry(reference, dir, (path) => rm(join(root, path), { recursive: true }))
    freed = await multiArchDigests(reference, content)
    await reference.stop()
    reference = undefined
    const blobs = sdkService().getContainerClient(container)
    await blobs.createIfNotExists()
    for await (const path of filesUnder(root)) {
      await blobs.getBlockBlobClient(`${prefix}/${path}`).uploadData(await readFile(join(root, path)))
    }
    storage = createAzureDriver(keyOptions(container, { prefix }))
    await migrateRegistry2({ storage })
  }, 180_000)

  afterAll(async () => {
    await reference?.stop()
    await storage?.close?.()
    await sdkService().getContainerClient(container).deleteIfExists()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('removes what only the deleted tag reached, the prefix shrinks, and every kept image pulls byte-identical', async () => {
    const registry = createRegistry({ storage: createAzureDriver(keyOptions(container, { prefix })) })
    const server = await startRegistry(registry)
    try {
      expect((await fetch(`${server.url}/v2/apps/multi/manifests/v1`, { method: 'DELETE' })).status).toBe(202)
      for (const digest of freed) expect(await storage.stat(registry2BlobPath(digest))).toBeDefined()
      const before = await registry2Bytes(storage)

      const other = createRegistry({ storage: createAzureDriver(keyOptions(container, { prefix })) })
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
