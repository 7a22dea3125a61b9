import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  finishUpload,
  openUpload,
  patchChunk,
  patchStream,
  pushMonolithic,
  readBlob,
  uploadStatus,
} from '../../../server/test/interop/helpers/blob-upload.js'
import { sha256Of } from '../../../server/test/interop/helpers/oci-layout.js'
import { createS3Driver } from '../../src/index.js'
import { createInspector, testDriverOptions, uniquePrefix } from '../support/s3-server.js'
import { ensureBuilt, startS3RegistryProcess, type S3RegistryConfig, type S3RegistryProcess } from './support/registry-processes.js'

const MiB = 1024 * 1024
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** Splits `bytes` into pieces of `size` (the last one shorter). */
function toChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size))
  return chunks
}

describe('two registry processes sharing one bucket', () => {
  let config: S3RegistryConfig
  let a: S3RegistryProcess
  let b: S3RegistryProcess
  const started: S3RegistryProcess[] = []
  const inspector = createInspector()

  async function start(): Promise<S3RegistryProcess> {
    const instance = await startS3RegistryProcess(config)
    started.push(instance)
    return instance
  }

  /** Both processes serve `digest` in `repository` with exactly `bytes`. */
  async function expectServedByBoth(repository: string, digest: string, bytes: Buffer) {
    for (const instance of [a, b]) {
      const served = await readBlob(instance.url, repository, digest)
      expect(served.digest).toBe(digest)
      expect(served.bytes.equals(bytes)).toBe(true)
    }
  }

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
    ;[a, b] = await Promise.all([start(), start()])
  }, 240_000)

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()))
    inspector.close()
    // radosgw keeps objects in RAM: leave the bucket as small as it was.
    if (config) {
      const driver = createS3Driver(testDriverOptions({ prefix: config.prefix! }))
      await driver.deletePrefix('')
      await driver.close?.()
    }
  })

  it.each([
    ['the first', () => a],
    ['the second', () => b],
  ])('completes a chunked upload whose PATCHes alternate between the processes, finished on %s', async (_name, finisher) => {
    // 3 MiB chunks: below the 5 MiB part minimum, so each process must continue the other's tail.
    const blob = randomBytes(13 * MiB + 12_345)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/chunked')
    let sent = 0
    for (const [i, chunk] of toChunks(blob, 3 * MiB).entries()) {
      expect(await patchChunk([b, a][i % 2]!.url, session, chunk, sent)).toBe(`0-${sent + chunk.length - 1}`)
      sent += chunk.length
    }
    expect(await finishUpload(finisher().url, session, digest)).toBe(digest)
    await expectServedByBoth('shared/chunked', digest, blob)
  })

  it('completes a docker-style upload: POST on one process, one streamed PATCH on the other, empty PUT on the first', async () => {
    const blob = randomBytes(21 * MiB + 7)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/docker')
    expect(await patchStream(b.url, session, blob)).toBe(`0-${blob.length - 1}`)
    expect(await finishUpload(a.url, session, digest)).toBe(digest)
    await expectServedByBoth('shared/docker', digest, blob)
  })

  it('accepts concurrent pushes of one image through both processes: all succeed, one blob record and one copy of the bytes each, tags consistent', async () => {
    const repository = 'shared/concurrent'
    const imageConfig = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') }),
    )
    const layers = [randomBytes(7 * MiB + 3), randomBytes(300_000)]
    const blobs = [imageConfig, ...layers]
    const digests = blobs.map((bytes) => sha256Of(bytes))
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digests[0], size: imageConfig.length },
        layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digests[i + 1], size: l.length })),
      }),
    )
    const manifestDigest = sha256Of(manifest)
    const dataBefore = new Set(await inspector.objects(`${config.prefix}/data/`))

    // Each process pushes every blob three ways (chunked across both, one streamed PATCH, monolithic), all at once.
    const pushBlob = async (first: S3RegistryProcess, second: S3RegistryProcess, bytes: Buffer, way: 'chunked' | 'streamed' | 'monolithic') => {
      const digest = sha256Of(bytes)
      if (way === 'monolithic') return pushMonolithic(first.url, repository, digest, bytes)
      const session = await openUpload(first.url, repository)
      if (way === 'streamed') {
        await patchStream(first.url, session, bytes)
        return finishUpload(first.url, session, digest)
      }
      const half = bytes.length >> 1
      await patchChunk(first.url, session, bytes.subarray(0, half), 0)
      await patchChunk(second.url, session, bytes.subarray(half), half)
      return finishUpload(second.url, session, digest)
    }
    const pushes = [
      [a, b],
      [b, a],
    ].flatMap(([first, second]) =>
      blobs.flatMap((bytes) => (['chunked', 'streamed', 'monolithic'] as const).map((way) => ({ bytes, run: () => pushBlob(first!, second!, bytes, way) }))),
    )
    expect(await Promise.all(pushes.map((p) => p.run()))).toEqual(pushes.map((p) => sha256Of(p.bytes)))

    const putManifest = (instance: S3RegistryProcess) =>
      fetch(`${instance.url}/v2/${repository}/manifests/v1`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })
    const answers = await Promise.all([putManifest(a), putManifest(b), putManifest(a), putManifest(b)])
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201])
    expect(answers.map((r) => r.headers.get('docker-content-digest'))).toEqual(answers.map(() => manifestDigest))

    // 18 uploads wrote 18 copies; the losers of each race dropped theirs, so one copy per blob is left.
    const records = await inspector.objects(`${config.prefix}/blobs/`)
    for (const digest of digests) {
      const hex = digest.slice('sha256:'.length)
      expect(records.filter((key) => key.endsWith(`/${hex}`))).toEqual([`${config.prefix}/blobs/sha256/${hex.slice(0, 2)}/${hex}`])
    }
    const dataAfter = (await inspector.objects(`${config.prefix}/data/`)).filter((key) => !dataBefore.has(key))
    expect(dataAfter).toHaveLength(blobs.length)
    expect(await inspector.multipartUploads(`${config.prefix}/data/`)).toEqual([])

    for (const instance of [a, b]) {
      const head = await fetch(`${instance.url}/v2/${repository}/manifests/v1`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
      expect(head.status).toBe(200)
      expect(head.headers.get('docker-content-digest')).toBe(manifestDigest)
      const listed = (await (await fetch(`${instance.url}/v2/${repository}/tags/list`)).json()) as { tags: string[] }
      expect(listed.tags).toEqual(['v1'])
      for (const [i, bytes] of blobs.entries()) expect((await readBlob(instance.url, repository, digests[i]!)).bytes.equals(bytes)).toBe(true)
    }
  })

  it('keeps a tag consistent when both processes move it to different manifests at once: both see the same winner', async () => {
    const repository = 'shared/racing-tag'
    const layer = randomBytes(1000)
    const layerDigest = await pushMonolithic(a.url, repository, sha256Of(layer), layer)
    const manifests = ['a', 'b', 'c', 'd'].map((n) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: layerDigest, size: layer.length },
          layers: [],
          annotations: { n },
        }),
      ),
    )
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        manifests.map((body, i) =>
          fetch(`${[a, b][i % 2]!.url}/v2/${repository}/manifests/latest`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body }),
        ),
      )
      expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201])
      const seen = await Promise.all(
        [a, b].map(async (instance) => {
          const head = await fetch(`${instance.url}/v2/${repository}/manifests/latest`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
          return head.headers.get('docker-content-digest')
        }),
      )
      expect(manifests.map((m) => sha256Of(m))).toContain(seen[0])
      expect(seen[1]).toBe(seen[0])
    }
  })

  it('lets another process finish an upload after the process that acknowledged a chunk is killed with SIGKILL', async () => {
    const victim = await start()
    const blob = randomBytes(17 * MiB + 99)
    const digest = sha256Of(blob)
    // 7 MiB: the victim has stored a part and a tail when it acknowledges.
    const [first, second, last] = toChunks(blob, 7 * MiB) as [Buffer, Buffer, Buffer]
    const session = await openUpload(victim.url, 'shared/killed')
    expect(await patchChunk(victim.url, session, first, 0)).toBe(`0-${first.length - 1}`)
    await victim.stop('SIGKILL')
    await expect(fetch(`${victim.url}/v2/`)).rejects.toThrow()

    // A client resuming after the failure asks where the upload stands, then carries on elsewhere.
    expect(await uploadStatus(a.url, session)).toBe(`0-${first.length - 1}`)
    expect(await patchChunk(a.url, session, second, first.length)).toBe(`0-${first.length + second.length - 1}`)
    expect(await finishUpload(b.url, session, digest, last)).toBe(digest)
    await expectServedByBoth('shared/killed', digest, blob)
    expect(await inspector.multipartUploads(`${config.prefix}/data/`)).toEqual([])
  })
})
