import { expect, it } from 'vitest'
import type { GarbageCollectionOptions, GarbageCollectionReport } from '@wharf/core'
import { expectServedByAll, makeImage, putManifest, sha256Of, type TestImage } from './image.js'
import type { ScaleOutPair, ScaleOutSuiteSettings } from './suite.js'
import { pushMonolithic } from './upload-client.js'

/** Runs the collector on the storage the processes share (a registry in the test process, on the same driver). */
export type CollectGarbage = (options: GarbageCollectionOptions) => Promise<GarbageCollectionReport>

const HOUR = 60 * 60_000

async function push(base: string, repository: string, tag: string, image: TestImage): Promise<void> {
  for (const blob of image.blobs) await pushMonolithic(base, repository, sha256Of(blob), blob)
  expect(await putManifest(base, repository, tag, image.manifest)).toBe(image.digest)
}

async function status(base: string, method: string, path: string): Promise<number> {
  const response = await fetch(`${base}${path}`, { method })
  await response.arrayBuffer()
  return response.status
}

/**
 * Registers the garbage-collection scenario on a real driver: the collector runs while both
 * processes push, retag and delete (it must remove nothing: all of it is younger than the grace
 * period), then, with the writers stopped, as an offline collection (the clock moved past the grace
 * period): the deleted images' own blobs are gone, every tagged image still pulls byte-identical
 * through both processes, and a second run finds nothing.
 */
export function gcTests(pair: () => ScaleOutPair, settings: ScaleOutSuiteSettings, collect: CollectGarbage): void {
  it(
    'collects garbage online without touching what writers use, then reclaims deleted images on the shared storage',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/gc'
      const images = Array.from({ length: 8 }, (_, i) => makeImage(`gc-${i}`, [2000 + i]))
      for (const [i, image] of images.slice(0, 4).entries()) await push([a, b][i % 2]!.url, repository, `t${i}`, image)

      // Online: collections run back to back while both processes push, move a tag and delete.
      let writing = true
      const reports: GarbageCollectionReport[] = []
      const collector = (async () => {
        while (writing || reports.length === 0) {
          reports.push(await collect({ deleteUntagged: true }))
          // On an in-memory driver a collection is all microtasks: let the requests' I/O run between runs.
          await new Promise((resolve) => setImmediate(resolve))
        }
      })()
      await Promise.all([
        push(a.url, repository, 't4', images[4]!),
        push(b.url, repository, 't5', images[5]!),
        (async () => {
          expect(await status(a.url, 'DELETE', `/v2/${repository}/manifests/${images[3]!.digest}`)).toBe(202)
          await push(b.url, repository, 't6', images[6]!)
          // Moving t0 leaves image 0 untagged.
          await push(a.url, repository, 't0', images[7]!)
        })(),
      ])
      writing = false
      await collector
      for (const report of reports) expect(report).toMatchObject({ manifestsDeleted: 0, linksDeleted: 0, blobsDeleted: 0, dataObjectsDeleted: 0 })

      // Offline, everything past the grace period: images 0 (untagged) and 3 (deleted, its revision already a tombstone) go.
      // (Other scenarios of the suite left garbage in their repositories too, so the counts are lower bounds.)
      const offline = await collect({ deleteUntagged: true, now: () => Date.now() + 2 * HOUR })
      expect(offline.manifestsDeleted).toBeGreaterThanOrEqual(1)
      expect(offline.blobsDeleted).toBeGreaterThanOrEqual(4)
      expect(offline.bytesReclaimed).toBeGreaterThan(4000)
      const kept: Array<[string, TestImage]> = [['t1', images[1]!], ['t2', images[2]!], ['t4', images[4]!], ['t5', images[5]!], ['t6', images[6]!], ['t0', images[7]!]]
      for (const [tag, image] of kept) {
        for (const process of [a, b]) expect(await status(process.url, 'HEAD', `/v2/${repository}/manifests/${tag}`)).toBe(200)
        for (const blob of image.blobs) await expectServedByAll([a.url, b.url], repository, sha256Of(blob), blob)
      }
      for (const gone of [images[0]!, images[3]!]) {
        for (const process of [a, b]) {
          expect(await status(process.url, 'HEAD', `/v2/${repository}/manifests/${gone.digest}`)).toBe(404)
          for (const blob of gone.blobs) expect(await status(process.url, 'GET', `/v2/${repository}/blobs/${sha256Of(blob)}`)).toBe(404)
        }
      }
      expect(await collect({ deleteUntagged: true, now: () => Date.now() + 2 * HOUR })).toMatchObject({ manifestsDeleted: 0, linksDeleted: 0, blobsDeleted: 0, dataObjectsDeleted: 0 })
    },
    // Each collection reads every object the suite left on the storage: slow on a loaded S3 server.
    2 * settings.testTimeoutMs,
  )
}
