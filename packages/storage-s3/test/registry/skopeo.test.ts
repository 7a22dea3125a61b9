import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import { findCorruptBlobs, readJsonBlob, readTaggedDescriptor, sha256Of, toReachableDigests } from '../../../../test-support/interop/oci-layout.js'
import { copyImage, inspectRaw } from '../../../../test-support/interop/skopeo.js'
import { createTestImages, type TestImages } from '../../../../test-support/interop/test-images.js'
import { startS3Registry, type S3Registry } from './support/registry-on-s3.js'

describe('skopeo against a registry on S3 (radosgw)', () => {
  let temp: string
  let images: TestImages
  let plain: S3Registry
  let redirecting: S3Registry

  beforeAll(async () => {
    requireBinary('skopeo', 'skopeo')
    requireBinary('umoci', 'umoci')
    temp = await mkdtemp(join(tmpdir(), 'wharf-s3-skopeo-'))
    ;[images, plain, redirecting] = await Promise.all([
      createTestImages(temp),
      startS3Registry({ name: 'skopeo' }),
      startS3Registry({ name: 'skopeo-redirect', driver: { redirect: true }, registry: { redirect: true } }),
    ])
  })

  afterAll(async () => {
    await plain?.close()
    await redirecting?.close()
    if (temp) await rm(temp, { recursive: true, force: true })
  })

  /** Pulls `reference` into a new OCI layout and checks it holds exactly the pushed image's blobs, intact. */
  async function expectPulledIntact(reference: string, digest: string, all = false) {
    const out = await mkdtemp(join(temp, 'pulled-'))
    await copyImage(reference, `oci:${out}:pulled`, { all })
    expect((await readTaggedDescriptor(out, 'pulled')).digest).toBe(digest)
    const pushed = await toReachableDigests(images.layout, digest)
    expect(await toReachableDigests(out, digest)).toEqual(pushed)
    expect(await findCorruptBlobs(out, pushed)).toEqual([])
  }

  it('pushes an OCI image and pulls it back under the same digest with every blob intact', async () => {
    const digestFile = join(temp, 'single.digest')
    const ref = `docker://${plain.address}/s3/app:v1`
    await copyImage(`oci:${images.layout}:${images.single.tag}`, ref, { digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.single.digest)
    expect(sha256Of(await inspectRaw(ref))).toBe(images.single.digest)
    await expectPulledIntact(ref, images.single.digest)
  })

  it('pushes a multi-arch index with --all and pulls back the same index and both platform images', async () => {
    const digestFile = join(temp, 'multi.digest')
    const ref = `docker://${plain.address}/s3/multi:v1`
    await copyImage(`oci:${images.layout}:${images.multi.tag}`, ref, { all: true, digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.multi.digest)
    expect(sha256Of(await inspectRaw(ref))).toBe(images.multi.digest)
    for (const platform of images.multi.platforms) {
      expect(sha256Of(await inspectRaw(`docker://${plain.address}/s3/multi@${platform.digest}`))).toBe(platform.digest)
    }
    await expectPulledIntact(ref, images.multi.digest, true)
  })

  it('with redirect on, answers a blob GET with 307 to a presigned radosgw URL that serves the bytes, and skopeo pulls through it', async () => {
    const ref = `docker://${redirecting.address}/s3/redirected:v1`
    await copyImage(`oci:${images.layout}:${images.single.tag}`, ref)
    const manifest = await readJsonBlob(images.layout, images.single.digest)
    const layer = manifest.layers![0]!

    const answer = await fetch(`${redirecting.url}/v2/s3/redirected/blobs/${layer.digest}`, { redirect: 'manual' })
    expect(answer.status).toBe(307)
    const location = answer.headers.get('location') ?? ''
    expect(location.startsWith(`${inject('s3').endpoint}/`)).toBe(true)
    expect(new URL(location).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    // Whoever follows it needs no credentials of their own: the URL carries the signature.
    const served = await fetch(location)
    expect(served.status).toBe(200)
    const bytes = Buffer.from(await served.arrayBuffer())
    expect(bytes.length).toBe(layer.size)
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(layer.digest)

    await expectPulledIntact(ref, images.single.digest)
  })
})
