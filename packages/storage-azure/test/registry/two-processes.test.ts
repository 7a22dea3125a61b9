import { afterAll, beforeAll, expect, inject } from 'vitest'
import { createRegistry, storageKeys, toDigest } from '@wharf/core'
import { createAzureDriver } from '../../src/index.js'
import { describeScaleOutSuite } from '@wharf/testing'
import { freshContainer, keyOptions, sdkService } from '../connection.js'
import { ensureBuilt, startAzureRegistryProcess } from './registry-processes.js'

const MiB = 1024 * 1024

// The shared scale-out scenarios on one Azure container, plus checks that read the container directly.
const container = freshContainer('two-processes')

/** Names of the committed blobs under `prefix` in the shared container (staged blocks are not listed). */
async function listNames(prefix: string): Promise<string[]> {
  const names: string[] = []
  for await (const item of sdkService().getContainerClient(container).listBlobsFlat({ prefix })) names.push(item.name)
  return names
}

beforeAll(() => ensureBuilt(), 240_000)

// Runs after the suite's own afterAll, which stops the processes first.
afterAll(async () => {
  await sdkService().getContainerClient(container).deleteIfExists()
})

const start = () =>
  startAzureRegistryProcess({
    endpoint: inject('azureEndpoint'),
    accountName: inject('azureAccountName'),
    accountKey: inject('azureAccountKey'),
    container,
  })

describeScaleOutSuite('two registry processes sharing one Azure container', start, {
  // The collector runs in this process, on the same container.
  collectGarbage: async (options) => {
    const registry = createRegistry({ storage: createAzureDriver(keyOptions(container)) })
    try {
      return await registry.collectGarbage(options)
    } finally {
      await registry.close()
    }
  },
  // Uneven chunks, some tiny (Azure has no minimum block size): each lands on the other process,
  // which has no live hash of the earlier ones.
  chunkSizes: [MiB, 1, 100_000, 2 * MiB + 3, 17],
  storageChecks: {
    async concurrentPush() {
      const dataBefore = new Set(await listNames('data/'))
      return async (digests) => {
        // One record per blob, pointing at one stored copy of its bytes; the losers' copies are gone.
        const recordKeys = digests.map((d) => storageKeys.blobRecord(toDigest(d)!))
        expect((await listNames('blobs/')).filter((name) => recordKeys.includes(name)).sort()).toEqual([...recordKeys].sort())
        const pointedAt = await Promise.all(
          recordKeys.map(async (key) => {
            const record = await sdkService().getContainerClient(container).getBlobClient(key).downloadToBuffer()
            return (JSON.parse(record.toString('utf8')) as { key: string }).key
          }),
        )
        const newData = (await listNames('data/')).filter((name) => !dataBefore.has(name))
        expect(newData.sort()).toEqual([...pointedAt].sort())
        // No upload session is left open.
        expect(await listNames('uploads/')).toEqual([])
      }
    },
  },
})
