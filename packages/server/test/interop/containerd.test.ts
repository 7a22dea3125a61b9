import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, type Registry, type RegistryEvent } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import { startContainerd, type RunningContainerd } from './helpers/containerd.js'
import { readJsonBlob, toReachableDigests } from '../../../../test-support/interop/oci-layout.js'
import { copyImage } from '../../../../test-support/interop/skopeo.js'
import { createTestImages, type TestImages } from '../../../../test-support/interop/test-images.js'

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

describe('containerd (ctr) against wharf', () => {
  let temp: string
  let images: TestImages
  let registry: Registry
  let server: RunningRegistry
  let containerd: RunningContainerd | undefined
  let dockerDigest: string
  const events: RegistryEvent[] = []
  const ref = (repositoryAndTag: string) => `${server.address}/${repositoryAndTag}`

  /** The digest containerd recorded for the image `reference` (from `ctr images ls`). */
  async function imageDigest(reference: string): Promise<string> {
    const { stdout } = await containerd!.ctr('images', 'ls', `name==${reference}`)
    const row = stdout.split('\n').find((line) => line.startsWith(`${reference} `))
    if (!row) throw new Error(`containerd has no image ${reference}:\n${stdout}`)
    return row.split(/\s+/)[2]!
  }

  async function contentDigests(): Promise<Set<string>> {
    return new Set((await containerd!.ctr('content', 'ls', '-q')).stdout.split('\n').filter(Boolean))
  }

  /** The digest the registry serves for `repository:reference`. */
  async function servedDigest(repository: string, reference: string): Promise<string | null> {
    const response = await fetch(`${server.url}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES } })
    return response.status === 200 ? response.headers.get('docker-content-digest') : null
  }

  beforeAll(async () => {
    for (const [binary, pkg] of [['skopeo', 'skopeo'], ['umoci', 'umoci'], ['containerd', 'containerd'], ['ctr', 'containerd']]) {
      requireBinary(binary!, pkg!)
    }
    temp = await mkdtemp(join(tmpdir(), 'wharf-ctr-'))
    images = await createTestImages(temp)
    registry = createRegistry({ storage: createFsDriver({ root: join(temp, 'storage') }) })
    registry.events.on('*', (event) => events.push(event))
    server = await startRegistry(registry)
    const digestFile = join(temp, 'v2s2.digest')
    await Promise.all([
      copyImage(`oci:${images.layout}:${images.single.tag}`, `docker://${ref('interop/oci:v1')}`),
      copyImage(`oci:${images.layout}:${images.single.tag}`, `docker://${ref('interop/docker:v1')}`, { format: 'v2s2', digestFile }),
      copyImage(`oci:${images.layout}:${images.multi.tag}`, `docker://${ref('interop/multi:v1')}`, { all: true }),
    ])
    dockerDigest = await readFile(digestFile, 'utf8')
    containerd = await startContainerd(join(temp, 'ctd'))
  })

  afterAll(async () => {
    await containerd?.stop()
    await server?.close()
    await registry?.close()
    if (temp) await rm(temp, { recursive: true, force: true })
  })

  it('pulls an OCI image pushed by skopeo, with the pushed manifest digest and every blob', async () => {
    await containerd!.ctr('images', 'pull', '--plain-http', ref('interop/oci:v1'))
    expect(await imageDigest(ref('interop/oci:v1'))).toBe(images.single.digest)
    const content = await contentDigests()
    for (const digest of await toReachableDigests(images.layout, images.single.digest)) expect(content).toContain(digest)
  })

  it('pulls a Docker schema 2 image pushed by skopeo under the digest skopeo wrote', async () => {
    await containerd!.ctr('images', 'pull', '--plain-http', ref('interop/docker:v1'))
    expect(await imageDigest(ref('interop/docker:v1'))).toBe(dockerDigest)
    const layers = (await readJsonBlob(images.layout, images.single.digest)).layers!.map((l) => l.digest)
    const content = await contentDigests()
    for (const digest of [dockerDigest, ...layers]) expect(content).toContain(digest)
  })

  it('pulls every platform of a multi-arch index with --all-platforms', async () => {
    await containerd!.ctr('images', 'pull', '--plain-http', '--all-platforms', ref('interop/multi:v1'))
    expect(await imageDigest(ref('interop/multi:v1'))).toBe(images.multi.digest)
    const reachable = await toReachableDigests(images.layout, images.multi.digest)
    expect(reachable.size).toBe(7)
    const content = await contentDigests()
    for (const digest of reachable) expect(content).toContain(digest)
  })

  it('pushes a retagged image to another repository by mounting its blobs across repositories', async () => {
    await containerd!.ctr('images', 'tag', ref('interop/oci:v1'), ref('interop/pushed:v1'))
    events.length = 0
    await containerd!.ctr('images', 'push', '--plain-http', ref('interop/pushed:v1'))
    expect(await servedDigest('interop/pushed', 'v1')).toBe(images.single.digest)

    const manifest = await readJsonBlob(images.layout, images.single.digest)
    const blobs = [manifest.config!.digest, ...manifest.layers!.map((l) => l.digest)]
    const intoPushed = events.filter((e) => e.repository === 'interop/pushed' && e.target.kind === 'blob')
    const mounted = intoPushed.filter((e) => e.action === 'mount')
    expect(mounted.map((e) => e.target.digest).sort()).toEqual([...blobs].sort())
    expect(mounted.every((e) => e.target.from === 'interop/oci')).toBe(true)
    expect(intoPushed.filter((e) => e.action === 'push')).toEqual([])
  })

  it('pushes a multi-arch index to another repository with every platform mounted, under the same digest', async () => {
    await containerd!.ctr('images', 'tag', ref('interop/multi:v1'), ref('interop/multi-copy:v1'))
    events.length = 0
    await containerd!.ctr('images', 'push', '--plain-http', ref('interop/multi-copy:v1'))
    expect(await servedDigest('interop/multi-copy', 'v1')).toBe(images.multi.digest)
    for (const platform of images.multi.platforms) {
      expect(await servedDigest('interop/multi-copy', platform.digest)).toBe(platform.digest)
    }
    const reachable = await toReachableDigests(images.layout, images.multi.digest)
    const blobs = [...reachable].filter((d) => d !== images.multi.digest && !images.multi.platforms.some((p) => p.digest === d))
    const mounted = events.filter((e) => e.repository === 'interop/multi-copy' && e.action === 'mount').map((e) => e.target.digest)
    expect(mounted.sort()).toEqual(blobs.sort())
  })
})
