import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, type Registry, type RegistryEvent } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import { findCorruptBlobs, readJsonBlob, readTaggedDescriptor, sha256Of, toBlobPath, toReachableDigests } from '../../../../test-support/interop/oci-layout.js'
import { copyImage, inspectImage, inspectRaw, skopeo } from '../../../../test-support/interop/skopeo.js'
import { createTestImages, type TestImages } from '../../../../test-support/interop/test-images.js'

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

describe('skopeo against wharf', () => {
  let temp: string
  let images: TestImages
  let registry: Registry
  let server: RunningRegistry
  const events: RegistryEvent[] = []
  const ref = (repositoryAndTag: string) => `docker://${server.address}/${repositoryAndTag}`

  beforeAll(async () => {
    requireBinary('skopeo', 'skopeo')
    requireBinary('umoci', 'umoci')
    temp = await mkdtemp(join(tmpdir(), 'wharf-skopeo-'))
    images = await createTestImages(temp)
    registry = createRegistry({ storage: createFsDriver({ root: join(temp, 'storage') }) })
    registry.events.on('*', (event) => events.push(event))
    server = await startRegistry(registry)
  })

  afterAll(async () => {
    await server?.close()
    await registry?.close()
    if (temp) await rm(temp, { recursive: true, force: true })
  })

  it('pushes an OCI image and pulls it back byte for byte under the same digest', async () => {
    const digestFile = join(temp, 'oci.digest')
    await copyImage(`oci:${images.layout}:${images.single.tag}`, ref('interop/oci:v1'), { digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.single.digest)

    const raw = await inspectRaw(ref('interop/oci:v1'))
    expect(sha256Of(raw)).toBe(images.single.digest)
    expect(raw).toBe(await readFile(toBlobPath(images.layout, images.single.digest), 'utf8'))
    const inspected = await inspectImage(ref('interop/oci:v1'))
    expect(inspected).toMatchObject({ Digest: images.single.digest, Architecture: 'amd64', Os: 'linux' })

    const out = join(temp, 'pulled-oci')
    await copyImage(ref('interop/oci:v1'), `oci:${out}:v1`)
    expect((await readTaggedDescriptor(out, 'v1')).digest).toBe(images.single.digest)
    const pushed = await toReachableDigests(images.layout, images.single.digest)
    expect(await toReachableDigests(out, images.single.digest)).toEqual(pushed)
    expect(await findCorruptBlobs(out, pushed)).toEqual([])
  })

  it('pushes a Docker schema 2 image (--format v2s2) and serves that exact manifest and the same layer bytes', async () => {
    const digestFile = join(temp, 'v2s2.digest')
    await copyImage(`oci:${images.layout}:${images.single.tag}`, ref('interop/docker:v1'), { format: 'v2s2', digestFile })
    const pushedDigest = await readFile(digestFile, 'utf8')

    const raw = await inspectRaw(ref('interop/docker:v1'))
    expect(sha256Of(raw)).toBe(pushedDigest)
    const manifest = JSON.parse(raw) as { mediaType: string; config: { digest: string }; layers: { digest: string }[] }
    expect(manifest.mediaType).toBe(DOCKER_MANIFEST)
    const oci = await readJsonBlob(images.layout, images.single.digest)
    expect(manifest.layers.map((l) => l.digest)).toEqual(oci.layers!.map((l) => l.digest))
    expect((await inspectImage(ref('interop/docker:v1'))).Digest).toBe(pushedDigest)

    // dir: keeps the manifest as served; an OCI layout would convert it.
    const dir = join(temp, 'pulled-v2s2-dir')
    await copyImage(ref('interop/docker:v1'), `dir:${dir}`)
    expect(sha256Of(await readFile(join(dir, 'manifest.json')))).toBe(pushedDigest)
    for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      expect(sha256Of(await readFile(join(dir, digest.slice('sha256:'.length))))).toBe(digest)
    }

    // Into an OCI layout skopeo converts the manifest and config itself; the layers must still be ours.
    const out = join(temp, 'pulled-v2s2-oci')
    await copyImage(ref('interop/docker:v1'), `oci:${out}:v1`)
    const converted = await readJsonBlob(out, (await readTaggedDescriptor(out, 'v1')).digest)
    const layers = converted.layers!.map((l) => l.digest)
    expect(layers).toEqual(manifest.layers.map((l) => l.digest))
    expect(await findCorruptBlobs(out, layers)).toEqual([])
  })

  it('pushes a multi-arch index with --all and pulls back the same index, both platform images and all their blobs', async () => {
    const digestFile = join(temp, 'multi.digest')
    await copyImage(`oci:${images.layout}:${images.multi.tag}`, ref('interop/multi:v1'), { all: true, digestFile })
    expect(await readFile(digestFile, 'utf8')).toBe(images.multi.digest)

    const raw = await inspectRaw(ref('interop/multi:v1'))
    expect(sha256Of(raw)).toBe(images.multi.digest)
    const index = JSON.parse(raw) as { mediaType: string; manifests: { digest: string; platform: { architecture: string } }[] }
    expect(index.mediaType).toBe(OCI_INDEX)
    expect(index.manifests.map((m) => [m.platform.architecture, m.digest])).toEqual(
      images.multi.platforms.map((p) => [p.architecture, p.digest]),
    )
    for (const platform of images.multi.platforms) {
      const platformRaw = await inspectRaw(ref(`interop/multi@${platform.digest}`))
      expect(sha256Of(platformRaw)).toBe(platform.digest)
    }
    // Without --raw skopeo resolves the index to the host's platform (amd64 on these machines).
    const amd64 = images.multi.platforms.find((p) => p.architecture === 'amd64')!
    const inspected = await inspectImage(ref('interop/multi:v1'))
    expect([images.multi.digest, amd64.digest]).toContain(inspected.Digest)

    const out = join(temp, 'pulled-multi')
    await copyImage(ref('interop/multi:v1'), `oci:${out}:v1`, { all: true })
    expect((await readTaggedDescriptor(out, 'v1')).digest).toBe(images.multi.digest)
    const pushed = await toReachableDigests(images.layout, images.multi.digest)
    expect(pushed.size).toBe(1 + 2 * 3)
    expect(await toReachableDigests(out, images.multi.digest)).toEqual(pushed)
    expect(await findCorruptBlobs(out, pushed)).toEqual([])
  })

  it('copies an image to another repository of the registry by mounting its layers, not uploading them again', async () => {
    events.length = 0
    await copyImage(ref('interop/oci:v1'), ref('interop/copy:v1'))
    const layers = (await readJsonBlob(images.layout, images.single.digest)).layers!.map((l) => l.digest)
    const intoCopy = events.filter((e) => e.repository === 'interop/copy' && e.target.kind === 'blob')
    const mounted = intoCopy.filter((e) => e.action === 'mount')
    expect(mounted.map((e) => e.target.digest)).toEqual(expect.arrayContaining(layers))
    // skopeo mounts from any repository its blob cache saw the layer in (interop/oci or interop/docker).
    expect(mounted.map((e) => e.target.from)).toEqual(mounted.map(() => expect.stringMatching(/^interop\/(oci|docker)$/)))
    const uploaded = intoCopy.filter((e) => e.action === 'push').map((e) => e.target.digest)
    expect(uploaded.filter((d) => layers.includes(d!))).toEqual([])
    expect((await inspectImage(ref('interop/copy:v1'))).Digest).toBe(images.single.digest)
  })

  it('lists the tags of a repository with skopeo list-tags', async () => {
    await copyImage(ref('interop/oci:v1'), ref('interop/oci:v2'))
    await copyImage(ref('interop/oci:v1'), ref('interop/oci:latest'))
    const listed = JSON.parse((await skopeo('list-tags', '--tls-verify=false', ref('interop/oci'))).stdout) as {
      Repository: string
      Tags: string[]
    }
    expect(listed.Repository).toBe(`${server.address}/interop/oci`)
    expect([...listed.Tags].sort()).toEqual(['latest', 'v1', 'v2'])
  })

  it('deletes an image with skopeo delete, after which inspecting it fails while other repositories keep theirs', async () => {
    await skopeo('delete', '--tls-verify=false', ref('interop/copy:v1'))
    await expect(inspectImage(ref('interop/copy:v1'))).rejects.toThrow(/manifest unknown/i)
    await expect(inspectRaw(ref(`interop/copy@${images.single.digest}`))).rejects.toThrow(/manifest unknown/i)
    // As in distribution, deleting a manifest drops the tags that pointed at it.
    const listed = JSON.parse((await skopeo('list-tags', '--tls-verify=false', ref('interop/copy'))).stdout) as { Tags: string[] }
    expect(listed.Tags).toEqual([])
    // The same manifest in the source repository is untouched.
    expect((await inspectImage(ref('interop/oci:v1'))).Digest).toBe(images.single.digest)
  })
})
