import { afterAll, beforeAll, expect, inject } from 'vitest'
import { createRegistry } from '@wharf/core'
import { describeScaleOutSuite } from '@wharf/testing'
import { createS3Driver } from '../../src/index.js'
import { createInspector, testDriverOptions, uniquePrefix } from '../support/s3-server.js'
import { ensureBuilt, startS3RegistryProcess, type S3RegistryConfig } from './support/registry-processes.js'

const MiB = 1024 * 1024

// The shared scale-out scenarios on one bucket, sized around S3's 5 MiB part minimum, plus checks
// that read the bucket directly.
let config: S3RegistryConfig
const inspector = createInspector()

beforeAll(async () => {
  await ensureBuilt()
  const s3 = inject('s3')
  config = {
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    prefix: uniquePrefix('two-processes'),
  }
}, 240_000)

// Runs after the suite's own afterAll, which stops the processes first.
afterAll(async () => {
  inspector.close()
  // radosgw keeps objects in RAM: leave the bucket as small as it was.
  if (config) {
    const driver = createS3Driver(testDriverOptions({ prefix: config.prefix! }))
    await driver.deletePrefix('')
    await driver.close?.()
  }
})

describeScaleOutSuite('two registry processes sharing one bucket', () => startS3RegistryProcess(config), {
  // radosgw 16.2 checks If-Match before writing, not atomically with the write (measured: README,
  // "Conditional writes on radosgw"), so a racing PUT's tag can be lost there; AWS S3's are atomic.
  atomicConditionalWrites: process.env['WHARF_S3_ATOMIC_CAS'] === 'true',
  // A race round costs ~3.5 s on radosgw (20 rounds: 40-75 s per race test, the suite's longest
  // file); 8 rounds still exercise every interleaving class the race tests check, and memory, fs
  // and Azure keep the default 20.
  raceRounds: 8,
  // The collector runs in this process, on the same bucket and prefix.
  collectGarbage: async (options) => {
    const registry = createRegistry({ storage: createS3Driver(testDriverOptions({ prefix: config.prefix! })) })
    try {
      return await registry.collectGarbage(options)
    } finally {
      await registry.close()
    }
  },
  // 3 MiB chunks: below the 5 MiB part minimum, so each process must continue the other's tail.
  chunkedBlobSize: 13 * MiB + 12_345,
  chunkSizes: [3 * MiB],
  streamedBlobSize: 21 * MiB + 7,
  layerSizes: [7 * MiB + 3, 300_000],
  // 7 MiB: the victim has stored a part and a tail when it acknowledges.
  killedChunkSize: 7 * MiB,
  killedBlobSize: 17 * MiB + 99,
  storageChecks: {
    async concurrentPush() {
      const dataBefore = new Set(await inspector.objects(`${config.prefix}/data/`))
      return async (digests) => {
        // Every upload wrote its own copy; the losers of each race dropped theirs: one record and one copy per blob.
        const records = await inspector.objects(`${config.prefix}/blobs/`)
        for (const digest of digests) {
          const hex = digest.slice('sha256:'.length)
          expect(records.filter((key) => key.endsWith(`/${hex}`))).toEqual([`${config.prefix}/blobs/sha256/${hex.slice(0, 2)}/${hex}`])
        }
        const dataAfter = (await inspector.objects(`${config.prefix}/data/`)).filter((key) => !dataBefore.has(key))
        expect(dataAfter).toHaveLength(digests.length)
        expect(await inspector.multipartUploads(`${config.prefix}/data/`)).toEqual([])
      }
    },
    async afterKilledUpload() {
      expect(await inspector.multipartUploads(`${config.prefix}/data/`)).toEqual([])
    },
  },
})
