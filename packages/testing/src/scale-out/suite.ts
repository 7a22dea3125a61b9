import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { concurrencyTests } from './concurrency-tests.js'
import { gcTests, type CollectGarbage } from './gc-tests.js'
import { killedWriterTest, raceTests } from './race-tests.js'
import { expectServedByAll, MiB, sha256Of, toChunks } from './image.js'
import { finishUpload, openUpload, patchChunk, patchStream, uploadStatus } from './upload-client.js'

/** A registry process the scale-out suite drives; {@link ChildRegistry} is one. */
export interface ScaleOutProcess {
  /** Base URL, `http://host:port`. */
  url: string
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Storage-level checks a driver's tests add to the shared scenarios (they read the bucket directly). */
export interface ScaleOutStorageChecks {
  /**
   * Called before the concurrent image push (to snapshot what is stored); the function it resolves
   * with runs after every push succeeded, with the image's blob digests, and asserts on storage.
   */
  concurrentPush?: () => Promise<(blobDigests: readonly string[]) => Promise<void>>
  /** Runs after another process finished the upload whose first process was killed. */
  afterKilledUpload?: () => Promise<void>
}

/** Options of {@link describeScaleOutSuite}; sizes let a driver cross its own part boundaries. */
export interface ScaleOutSuiteOptions {
  /** Size of the blob uploaded in PATCHes alternating between the processes; default 5 MiB + 12 345. */
  chunkedBlobSize?: number
  /** Sizes of those PATCHes, cycled; default [1 MiB]. */
  chunkSizes?: readonly number[]
  /** Size of the blob sent as one streamed PATCH (docker-style); default 8 MiB + 7. */
  streamedBlobSize?: number
  /** Layer sizes of the image pushed concurrently; default [3 MiB + 1, 64 KiB]. */
  layerSizes?: readonly number[]
  /** Size of each of the first two PATCHes of the upload whose process is killed; default 2 MiB. */
  killedChunkSize?: number
  /** Size of that whole blob (two chunks and a shorter last one); default 2 chunks + 99 bytes. */
  killedBlobSize?: number
  storageChecks?: ScaleOutStorageChecks
  /**
   * Runs the garbage collector on the shared storage (from the test process); when given, the suite
   * adds the collection scenario of gc-tests.ts.
   */
  collectGarbage?: CollectGarbage
  /**
   * Whether the storage's compare-and-swap is atomic against concurrent writes (default true).
   * Ceph radosgw 16.2 checks `If-Match` before the write, not with it: there the tag-move race
   * asserts consistency only (the racing PUT's tag may be lost, never left dangling).
   */
  atomicConditionalWrites?: boolean
  /** Rounds of each race between a delete and a write (see race-tests.ts); default 20. */
  raceRounds?: number
  /** Per test; default 180 s. */
  testTimeoutMs?: number
  /** For starting and stopping the processes; default 240 s. */
  hookTimeoutMs?: number
}

/** The two long-lived processes every scenario spreads its requests over. */
export interface ScaleOutPair {
  a: ScaleOutProcess
  b: ScaleOutProcess
}

/** {@link ScaleOutSuiteOptions} with every default filled in. */
export type ScaleOutSuiteSettings = Required<Omit<ScaleOutSuiteOptions, 'storageChecks' | 'collectGarbage'>> & { storageChecks: ScaleOutStorageChecks }

function toSettings(options: ScaleOutSuiteOptions): ScaleOutSuiteSettings {
  const killedChunkSize = options.killedChunkSize ?? 2 * MiB
  return {
    chunkedBlobSize: options.chunkedBlobSize ?? 5 * MiB + 12_345,
    chunkSizes: options.chunkSizes ?? [MiB],
    streamedBlobSize: options.streamedBlobSize ?? 8 * MiB + 7,
    layerSizes: options.layerSizes ?? [3 * MiB + 1, 64 * 1024],
    killedChunkSize,
    killedBlobSize: options.killedBlobSize ?? 2 * killedChunkSize + 99,
    storageChecks: options.storageChecks ?? {},
    raceRounds: options.raceRounds ?? 20,
    atomicConditionalWrites: options.atomicConditionalWrites ?? true,
    testTimeoutMs: options.testTimeoutMs ?? 180_000,
    hookTimeoutMs: options.hookTimeoutMs ?? 240_000,
  }
}

/**
 * The scale-out suite: several registry processes on one storage behave as one registry, as instances
 * behind a load balancer must. It starts two processes with `startProcess` (a third for the kill test),
 * sends each upload's requests to different processes, races pushes and tag moves through both,
 * SIGKILLs a process after it acknowledged a chunk, and checks both serve every result whole. All
 * processes it started are stopped after the suite; the storage itself is the caller's to clean.
 */
export function describeScaleOutSuite(name: string, startProcess: () => Promise<ScaleOutProcess>, options: ScaleOutSuiteOptions = {}): void {
  const settings = toSettings(options)
  describe(name, () => {
    const started: ScaleOutProcess[] = []
    let pair: ScaleOutPair
    const start = async () => {
      const instance = await startProcess()
      started.push(instance)
      return instance
    }
    const bases = () => [pair.a.url, pair.b.url]

    beforeAll(async () => {
      const [a, b] = await Promise.all([start(), start()])
      pair = { a: a!, b: b! }
    }, settings.hookTimeoutMs)

    afterAll(async () => {
      await Promise.all(started.map((p) => p.stop()))
    }, settings.hookTimeoutMs)

    it.each([['the first'], ['the second']])(
      'completes a chunked upload whose PATCHes alternate between the processes, finished on %s',
      async (which) => {
        const { a, b } = pair
        const blob = randomBytes(settings.chunkedBlobSize)
        const digest = sha256Of(blob)
        const session = await openUpload(a.url, 'shared/chunked')
        let sent = 0
        // The first PATCH goes to the process that did not open the session; each one lands on the
        // other process than the previous, which has no live state of the earlier chunks.
        for (const [i, chunk] of toChunks(blob, settings.chunkSizes).entries()) {
          const range = await patchChunk([b, a][i % 2]!.url, session, chunk, sent)
          sent += chunk.length
          expect(range).toBe(`0-${sent - 1}`)
        }
        expect(await finishUpload((which === 'the first' ? a : b).url, session, digest)).toBe(digest)
        await expectServedByAll(bases(), 'shared/chunked', digest, blob)
      },
      settings.testTimeoutMs,
    )

    it(
      'completes a docker-style upload: POST on one process, one streamed PATCH on the other, empty PUT on the first',
      async () => {
        const { a, b } = pair
        const blob = randomBytes(settings.streamedBlobSize)
        const digest = sha256Of(blob)
        const session = await openUpload(a.url, 'shared/docker')
        expect(await patchStream(b.url, session, blob)).toBe(`0-${blob.length - 1}`)
        expect(await finishUpload(a.url, session, digest)).toBe(digest)
        await expectServedByAll(bases(), 'shared/docker', digest, blob)
      },
      settings.testTimeoutMs,
    )

    concurrencyTests(() => pair, settings)
    raceTests(() => pair, settings, start)
    killedWriterTest(() => pair, settings, start)
    if (options.collectGarbage) gcTests(() => pair, settings, options.collectGarbage)

    it(
      'lets another process finish an upload after the process that acknowledged a chunk is killed with SIGKILL',
      async () => {
        const { a, b } = pair
        const victim = await start()
        const blob = randomBytes(settings.killedBlobSize)
        const digest = sha256Of(blob)
        const [first, second, last] = toChunks(blob, [settings.killedChunkSize]) as [Buffer, Buffer, Buffer]
        const session = await openUpload(victim.url, 'shared/killed')
        expect(await patchChunk(victim.url, session, first, 0)).toBe(`0-${first.length - 1}`)
        await victim.stop('SIGKILL')
        await expect(fetch(`${victim.url}/v2/`)).rejects.toThrow()

        // A client resuming after the failure asks where the upload stands, then carries on elsewhere.
        expect(await uploadStatus(a.url, session)).toBe(`0-${first.length - 1}`)
        expect(await patchChunk(a.url, session, second, first.length)).toBe(`0-${first.length + second.length - 1}`)
        expect(await finishUpload(b.url, session, digest, last)).toBe(digest)
        await expectServedByAll(bases(), 'shared/killed', digest, blob)
        await settings.storageChecks.afterKilledUpload?.()
      },
      settings.testTimeoutMs,
    )
  })
}
