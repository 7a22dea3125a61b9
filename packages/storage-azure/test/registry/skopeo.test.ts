import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, storageKeys, toDigest, type Registry, type RegistryEvent } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import {
  findCorruptBlobs,
  readTaggedDescriptor,
  sha256Of,
  toBlobPath,
  toReachableDigests,
} from '../../../../test-support/interop/oci-layout.js'
import { copyImage, inspectRaw } from '../../../../test-support/interop/skopeo.js'
import { createTestImages, type TestImages } from '../../../../test-support/interop/test-images.js'
import { createAzureDriver } from '../../src/index.js'
import { freshContainer, keyOptions, sdkService } from '../connection.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

describe('skopeo against a registry on Azure Blob', () => {
  const container = freshContainer('skopeo')
  let temp: string
  let images: TestImages
  let registry: Registry
  let server: RunningRegistry
  const events: RegistryEvent[] = []
  const ref = (repositoryAndTag: string) => `docker://${server.address}/${repositoryAndTag}`

  beforeAll(async () => {
    requireBinary('skopeo', 'skopeo')
    requireBinary('umoci', 'umoci')
    temp = await mkdtemp(join(tmpdir(), 'wharf-azure-skopeo-'))
    images = await createTestImages(temp)
    registry = createRegistry({ storage: createAzureDriver(keyOptions(container)) })
    registry.events.on('*', (event) => events.push(event))
    server = await startRegistry(registry)
  })

  afterAll(async () => {
    await server?.close()
    await registry?.close()
    await sdkService().getContainerClient(container).deleteIfExists()
    if (temp) await rm(temp, { recursive: true, force: true })
  })

  it('pushes an OCI image and pulls it back with the same manifest digest and intact blobs', async () => {
    const digestFile = join(temp, 'oci.digest')
    await copyImage(`oci:${images.layout}:${images.single.tag}`, ref('azure/oci:v1'), { digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.single.digest)

    // The registry serves the manifest byte for byte as pushed.
    const raw = await inspectRaw(ref('azure/oci:v1'))
    expect(raw).toBe(await readFile(toBlobPath(images.layout, images.single.digest), 'utf8'))

    const out = join(temp, 'pulled-oci')
    await copyImage(ref('azure/oci:v1'), `oci:${out}:v1`)
    expect((await readTaggedDescriptor(out, 'v1')).digest).toBe(images.single.digest)
    const pushed = await toReachableDigests(images.layout, images.single.digest)
    expect(await toReachableDigests(out, images.single.digest)).toEqual(pushed)
    expect(await findCorruptBlobs(out, pushed)).toEqual([])

    // Every blob went through an upload, and its record is in the Azure container.
    const blobs = [...pushed].filter((d) => d !== images.single.digest)
    const blobPushes = events.filter((e) => e.repository === 'azure/oci' && e.action === 'push' && e.target.kind === 'blob')
    expect(new Set(blobPushes.map((e) => e.target.digest))).toEqual(new Set(blobs))
    const inAzure = sdkService().getContainerClient(container)
    for (const digest of blobs) {
      expect(await inAzure.getBlobClient(storageKeys.blobRecord(toDigest(digest)!)).exists()).toBe(true)
    }
  })

  it('pushes a multi-arch index with --all and pulls back the same index, both platform images and all their blobs', async () => {
    const digestFile = join(temp, 'multi.digest')
    await copyImage(`oci:${images.layout}:${images.multi.tag}`, ref('azure/multi:v1'), { all: true, digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.multi.digest)

    const raw = await inspectRaw(ref('azure/multi:v1'))
    expect(sha256Of(raw)).toBe(images.multi.digest)
    expect((JSON.parse(raw) as { mediaType: string }).mediaType).toBe(OCI_INDEX)
    for (const platform of images.multi.platforms) {
      expect(sha256Of(await inspectRaw(ref(`azure/multi@${platform.digest}`)))).toBe(platform.digest)
    }

    const out = join(temp, 'pulled-multi')
    await copyImage(ref('azure/multi:v1'), `oci:${out}:v1`, { all: true })
    expect((await readTaggedDescriptor(out, 'v1')).digest).toBe(images.multi.digest)
    const pushed = await toReachableDigests(images.layout, images.multi.digest)
    expect(pushed.size).toBe(1 + 2 * 3)
    expect(await toReachableDigests(out, images.multi.digest)).toEqual(pushed)
    expect(await findCorruptBlobs(out, pushed)).toEqual([])
  })
})
