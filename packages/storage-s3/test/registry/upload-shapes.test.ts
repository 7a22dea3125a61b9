import { randomBytes, randomInt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uploadClient } from '@wharf/testing'
import { sha256Of } from '../../../../test-support/interop/oci-layout.js'
import { createInspector } from '../support/s3-server.js'
import { createGeneratedBlob } from './support/generated-body.js'
import { startS3Registry, type S3Registry } from './support/registry-on-s3.js'
import { patchStreamed } from './support/streamed-patch.js'

const { finishUpload, openUpload, patchChunk, readBlob } = uploadClient
type UploadSession = uploadClient.UploadSession
const KiB = 1024
const MiB = 1024 * KiB

/** Chunk sizes between 1 KiB and 1 MiB (both ends included) adding up to at least `total`. */
function toSmallChunkSizes(total: number): number[] {
  const sizes = [KiB, MiB]
  let sum = KiB + MiB
  while (sum < total) {
    const size = randomInt(KiB, MiB + 1)
    sizes.push(size)
    sum += size
  }
  return sizes
}

describe('uploads of any shape through a registry on S3 (radosgw)', () => {
  let target: S3Registry
  const inspector = createInspector()

  beforeAll(async () => {
    target = await startS3Registry({ name: 'upload-shapes' })
  })
  afterAll(async () => {
    // radosgw keeps objects in RAM: leave the bucket as small as it was.
    await target?.registry.storage.deletePrefix('')
    await target?.close()
    inspector.close()
  })

  /** Once an upload is finished, nothing of it is left in progress: no multipart upload, no tail object. */
  async function expectNothingLeftOver() {
    expect(await inspector.multipartUploads(`${target.prefix}/`)).toEqual([])
    expect((await inspector.objects(`${target.prefix}/data/`)).filter((key) => key.includes('~tail'))).toEqual([])
  }

  it("accepts docker's single streamed PATCH of 40 MiB and an empty PUT, and serves the blob under its digest", async () => {
    const size = 40 * MiB + 123
    const blob = createGeneratedBlob(size)
    const session = await openUpload(target.url, 'shapes/docker')
    expect(await patchStreamed(target.url, session, blob.stream())).toBe(`0-${size - 1}`)
    expect(await finishUpload(target.url, session, blob.digest())).toBe(blob.digest())

    const served = await readBlob(target.url, 'shapes/docker', blob.digest())
    expect(served.bytes.length).toBe(size)
    expect(sha256Of(served.bytes)).toBe(blob.digest())
    await expectNothingLeftOver()
  })

  it('accepts chunked PATCHes of 1 KiB to 1 MiB from a client that ignores the advertised 5 MiB OCI-Chunk-Min-Length', async () => {
    const opened = await fetch(`${target.url}/v2/shapes/chunked/blobs/uploads/`, { method: 'POST' })
    expect(opened.status).toBe(202)
    expect(opened.headers.get('oci-chunk-min-length')).toBe(String(5 * MiB))
    const session: UploadSession = { path: new URL(opened.headers.get('location')!, target.url).pathname }

    const sizes = toSmallChunkSizes(14 * MiB)
    const blob = randomBytes(sizes.reduce((a, b) => a + b, 0))
    let sent = 0
    for (const size of sizes.slice(0, -1)) {
      expect(await patchChunk(target.url, session, blob.subarray(sent, sent + size), sent)).toBe(`0-${sent + size - 1}`)
      sent += size
    }
    // The last chunk comes with the PUT, as the spec allows.
    const digest = sha256Of(blob)
    expect(await finishUpload(target.url, session, digest, blob.subarray(sent))).toBe(digest)

    const served = await readBlob(target.url, 'shapes/chunked', digest)
    expect(served.bytes.equals(blob)).toBe(true)
    await expectNothingLeftOver()
  })

  it('accepts small chunks, then a 12 MiB streamed PATCH, then small chunks again in one upload', async () => {
    const blob = randomBytes(3 * KiB + 12 * MiB + 700 * KiB)
    const [head, middle, tail] = [blob.subarray(0, 3 * KiB), blob.subarray(3 * KiB, 3 * KiB + 12 * MiB), blob.subarray(3 * KiB + 12 * MiB)]
    const session = await openUpload(target.url, 'shapes/mixed')
    await patchChunk(target.url, session, head, 0)
    const streamed = new Blob([middle]).stream()
    expect(await patchStreamed(target.url, session, streamed)).toBe(`0-${head.length + middle.length - 1}`)
    expect(await patchChunk(target.url, session, tail, head.length + middle.length)).toBe(`0-${blob.length - 1}`)
    const digest = sha256Of(blob)
    expect(await finishUpload(target.url, session, digest)).toBe(digest)

    const served = await readBlob(target.url, 'shapes/mixed', digest)
    expect(served.bytes.equals(blob)).toBe(true)
    await expectNothingLeftOver()
  })
})
