import { expect, it } from 'vitest'
import { expectServedByAll, makeImage, OCI_MANIFEST, putManifest, sha256Of } from './image.js'
import type { ScaleOutPair, ScaleOutSuiteSettings } from './suite.js'
import { finishUpload, openUpload, patchChunk, patchStream, pushMonolithic } from './upload-client.js'

type Way = 'chunked' | 'streamed' | 'monolithic'

/** Registers the tests where clients race each other through both processes. */
export function concurrencyTests(pair: () => ScaleOutPair, settings: ScaleOutSuiteSettings): void {
  // With the driver's storage checks the test also promises what they check: one stored copy per blob.
  const stored = settings.storageChecks.concurrentPush ? ', storing each blob once' : ''
  it(
    `accepts concurrent pushes of one image (every blob three ways, then the manifest by tag) through both processes: all succeed and both serve it whole${stored}`,
    async () => {
      const { a, b } = pair()
      const repository = 'shared/concurrent'
      const image = makeImage('concurrent', settings.layerSizes)
      const blobDigests = image.blobs.map((blob) => sha256Of(blob))
      const check = await settings.storageChecks.concurrentPush?.()

      const pushBlob = async (first: string, second: string, blob: Buffer, way: Way): Promise<string> => {
        const digest = sha256Of(blob)
        if (way === 'monolithic') return pushMonolithic(first, repository, digest, blob)
        const session = await openUpload(first, repository)
        if (way === 'streamed') {
          await patchStream(first, session, blob)
          return finishUpload(first, session, digest)
        }
        const half = Math.ceil(blob.length / 2)
        await patchChunk(first, session, blob.subarray(0, half), 0)
        await patchChunk(second, session, blob.subarray(half), half)
        return finishUpload(second, session, digest)
      }
      // Six clients at once, one per process and way; each pushes every blob, then the manifest by tag.
      const clients = [
        [a.url, b.url],
        [b.url, a.url],
      ].flatMap(([first, second]) => (['chunked', 'streamed', 'monolithic'] as const).map((way) => ({ first: first!, second: second!, way })))
      const results = await Promise.all(
        clients.map(async ({ first, second, way }) => {
          const digests = await Promise.all(image.blobs.map((blob) => pushBlob(first, second, blob, way)))
          return { digests, manifest: await putManifest(first, repository, 'v1', image.manifest) }
        }),
      )
      for (const result of results) expect(result).toEqual({ digests: blobDigests, manifest: image.digest })

      await check?.(blobDigests)

      for (const [i, blob] of image.blobs.entries()) await expectServedByAll([a.url, b.url], repository, blobDigests[i]!, blob)
      for (const instance of [a, b]) {
        const head = await fetch(`${instance.url}/v2/${repository}/manifests/v1`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
        expect(head.status).toBe(200)
        expect(head.headers.get('docker-content-digest')).toBe(image.digest)
        const response = await fetch(`${instance.url}/v2/${repository}/manifests/v1`, { headers: { Accept: OCI_MANIFEST } })
        expect(response.status).toBe(200)
        expect(response.headers.get('docker-content-digest')).toBe(image.digest)
        expect(Buffer.from(await response.arrayBuffer()).equals(image.manifest)).toBe(true)
        expect(await (await fetch(`${instance.url}/v2/${repository}/tags/list`)).json()).toEqual({ name: repository, tags: ['v1'] })
      }
    },
    settings.testTimeoutMs,
  )

  it(
    'keeps a tag consistent when both processes move it to different manifests at once: both see the same whole winner',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/racing-tag'
      const images = ['one', 'two', 'three', 'four'].map((label) => makeImage(label, [1000]))
      // Blobs first, so every manifest is valid; then all manifests to one tag at once, a few rounds.
      for (const image of images) {
        for (const blob of image.blobs) await pushMonolithic(a.url, repository, sha256Of(blob), blob)
      }
      for (let round = 0; round < 3; round++) {
        const pushed = await Promise.all(images.map((image, i) => putManifest([a, b][i % 2]!.url, repository, 'latest', image.manifest)))
        expect(pushed).toEqual(images.map((image) => image.digest))
        const seen = await Promise.all(
          [a, b].map(async (instance) => {
            const response = await fetch(`${instance.url}/v2/${repository}/manifests/latest`, { headers: { Accept: OCI_MANIFEST } })
            expect(response.status).toBe(200)
            const bytes = Buffer.from(await response.arrayBuffer())
            // Whole and matching its header: the tag never points at a torn or mixed record.
            expect(sha256Of(bytes)).toBe(response.headers.get('docker-content-digest'))
            return sha256Of(bytes)
          }),
        )
        expect(seen[1]).toBe(seen[0])
        expect(images.map((image) => image.digest)).toContain(seen[0])
      }
      for (const instance of [a, b]) {
        expect(await (await fetch(`${instance.url}/v2/${repository}/tags/list`)).json()).toEqual({ name: repository, tags: ['latest'] })
      }
    },
    settings.testTimeoutMs,
  )
}
