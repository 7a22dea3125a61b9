import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { storageKeys, toDigest } from '@wharf/core'
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
import { freshContainer, sdkService } from '../connection.js'
import { ensureBuilt, startAzureRegistryProcess, type AzureRegistryProcess } from './registry-processes.js'

const MiB = 1024 * 1024
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** Splits `bytes` at the given sizes, cycling through them (Azure has no minimum chunk size). */
function toChunks(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!
    chunks.push(bytes.subarray(offset, offset + size))
    offset += size
  }
  return chunks
}

/** PUT a manifest by tag on `base`; resolves with the Docker-Content-Digest of the 201. */
async function putManifest(base: string, repository: string, tag: string, bytes: Buffer): Promise<string> {
  const response = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': OCI_MANIFEST },
    body: bytes,
  })
  if (response.status !== 201) throw new Error(`PUT manifest on ${base}: ${response.status} ${await response.text()}`)
  return response.headers.get('docker-content-digest') ?? ''
}

/** A config, two layers (one of a few MiB) and the OCI manifest referencing them. */
function makeImage(label: string) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', label, rootfs: { type: 'layers', diff_ids: [] } }))
  const layers = [randomBytes(3 * MiB + 1), randomBytes(64 * 1024)]
  const descriptor = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: sha256Of(bytes), size: bytes.length })
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: layers.map((layer) => descriptor('application/vnd.oci.image.layer.v1.tar', layer)),
    }),
  )
  return { blobs: [config, ...layers], manifest, digest: sha256Of(manifest) }
}

describe('two registry processes sharing one Azure container', () => {
  const container = freshContainer('two-processes')
  const started: AzureRegistryProcess[] = []
  let a: AzureRegistryProcess
  let b: AzureRegistryProcess

  async function start(): Promise<AzureRegistryProcess> {
    const instance = await startAzureRegistryProcess({
      endpoint: inject('azureEndpoint'),
      accountName: inject('azureAccountName'),
      accountKey: inject('azureAccountKey'),
      container,
    })
    started.push(instance)
    return instance
  }

  /** Names of the committed blobs under `prefix` in the shared container (staged blocks are not listed). */
  async function listNames(prefix: string): Promise<string[]> {
    const names: string[] = []
    for await (const item of sdkService().getContainerClient(container).listBlobsFlat({ prefix })) names.push(item.name)
    return names
  }

  /** Both processes serve `digest` in `repository` with exactly `bytes`. */
  async function expectReadableFromBoth(repository: string, digest: string, bytes: Buffer) {
    for (const instance of [a, b]) {
      const served = await readBlob(instance.url, repository, digest)
      expect(served.digest).toBe(digest)
      expect(served.bytes.length).toBe(bytes.length)
      expect(sha256Of(served.bytes)).toBe(digest)
    }
  }

  beforeAll(async () => {
    await ensureBuilt()
    a = await start()
    b = await start()
  })

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()))
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  it.each([
    ['the first', () => a],
    ['the second', () => b],
  ])('completes a chunked upload whose PATCHes alternate between the processes, finished on %s', async (_name, finisher) => {
    const blob = randomBytes(5 * MiB + 12_345)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/chunked')
    let sent = 0
    // Uneven chunks, some tiny: each lands on the other process, which has no live hash of the earlier ones.
    for (const [i, chunk] of toChunks(blob, [MiB, 1, 100_000, 2 * MiB + 3, 17]).entries()) {
      const range = await patchChunk([a, b][i % 2]!.url, session, chunk, sent)
      sent += chunk.length
      expect(range).toBe(`0-${sent - 1}`)
    }
    expect(await finishUpload(finisher().url, session, digest)).toBe(digest)
    await expectReadableFromBoth('shared/chunked', digest, blob)
  })

  it('completes a docker-style upload: POST on one process, one streamed PATCH on the other, empty PUT on the first', async () => {
    const blob = randomBytes(8 * MiB + 7)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/docker')
    expect(await patchStream(b.url, session, blob)).toBe(`0-${blob.length - 1}`)
    expect(await finishUpload(a.url, session, digest)).toBe(digest)
    await expectReadableFromBoth('shared/docker', digest, blob)
  })

  it('accepts concurrent pushes of one image (blobs, manifest, tag) through both processes, storing each blob once', async () => {
    const image = makeImage('concurrent')
    const repository = 'shared/image'
    const dataBefore = new Set(await listNames('data/'))
    // Four clients at once, each pushing every blob its own way and then the manifest by tag.
    const chunked = async (first: AzureRegistryProcess, second: AzureRegistryProcess, blob: Buffer) => {
      const session = await openUpload(first.url, repository)
      const half = Math.ceil(blob.length / 2)
      await patchChunk(first.url, session, blob.subarray(0, half), 0)
      await patchChunk(second.url, session, blob.subarray(half), half)
      return finishUpload(second.url, session, sha256Of(blob))
    }
    const streamed = async (instance: AzureRegistryProcess, blob: Buffer) => {
      const session = await openUpload(instance.url, repository)
      await patchStream(instance.url, session, blob)
      return finishUpload(instance.url, session, sha256Of(blob))
    }
    const monolithic = (instance: AzureRegistryProcess, blob: Buffer) => pushMonolithic(instance.url, repository, sha256Of(blob), blob)
    const push = async (instance: AzureRegistryProcess, pushBlob: (blob: Buffer) => Promise<string>) => {
      const digests = await Promise.all(image.blobs.map(pushBlob))
      return { digests, manifest: await putManifest(instance.url, repository, 'v1', image.manifest) }
    }
    const results = await Promise.all([
      push(a, (blob) => chunked(a, b, blob)),
      push(b, (blob) => chunked(b, a, blob)),
      push(a, (blob) => streamed(a, blob)),
      push(b, (blob) => monolithic(b, blob)),
    ])
    const blobDigests = image.blobs.map((blob) => sha256Of(blob))
    for (const result of results) expect(result).toEqual({ digests: blobDigests, manifest: image.digest })

    // One record per blob, pointing at one stored copy of its bytes; the losers' copies are gone.
    const recordKeys = blobDigests.map((d) => storageKeys.blobRecord(toDigest(d)!))
    expect((await listNames('blobs/')).filter((name) => recordKeys.includes(name)).sort()).toEqual([...recordKeys].sort())
    const pointedAt = await Promise.all(
      recordKeys.map(async (key) => {
        const record = await sdkService().getContainerClient(container).getBlobClient(key).downloadToBuffer()
        return (JSON.parse(record.toString('utf8')) as { key: string }).key
      }),
    )
    const newData = (await listNames('data/')).filter((name) => !dataBefore.has(name))
    expect(newData.sort()).toEqual([...pointedAt].sort())
    for (const [i, blob] of image.blobs.entries()) await expectReadableFromBoth(repository, blobDigests[i]!, blob)

    // The tag resolves to the same manifest on both, listed once; no upload session is left open.
    for (const instance of [a, b]) {
      const response = await fetch(`${instance.url}/v2/${repository}/manifests/v1`, { headers: { Accept: OCI_MANIFEST } })
      expect(response.status).toBe(200)
      expect(response.headers.get('docker-content-digest')).toBe(image.digest)
      expect(Buffer.from(await response.arrayBuffer()).equals(image.manifest)).toBe(true)
      expect(await (await fetch(`${instance.url}/v2/${repository}/tags/list`)).json()).toEqual({ name: repository, tags: ['v1'] })
    }
    expect(await listNames('uploads/')).toEqual([])
  })

  it('moves a tag pushed concurrently with different manifests through both processes to one of them, seen alike by both', async () => {
    const repository = 'shared/race'
    const images = ['one', 'two', 'three', 'four'].map(makeImage)
    // Blobs first (so every manifest is valid), then all manifests to one tag at once.
    for (const image of images) {
      for (const blob of image.blobs) await pushMonolithic(a.url, repository, sha256Of(blob), blob)
    }
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
    expect(seen[0]).toBe(seen[1])
    expect(images.map((image) => image.digest)).toContain(seen[0])
    for (const instance of [a, b]) {
      expect(await (await fetch(`${instance.url}/v2/${repository}/tags/list`)).json()).toEqual({ name: repository, tags: ['latest'] })
    }
  })

  it('lets another process finish an upload after the process that acknowledged a chunk is killed with SIGKILL', async () => {
    const victim = await start()
    const blob = randomBytes(4 * MiB + 99)
    const digest = sha256Of(blob)
    const [first, second, last] = toChunks(blob, [2 * MiB]) as [Buffer, Buffer, Buffer]
    const session = await openUpload(victim.url, 'shared/killed')
    expect(await patchChunk(victim.url, session, first, 0)).toBe(`0-${first.length - 1}`)
    await victim.stop('SIGKILL')
    await expect(fetch(`${victim.url}/v2/`)).rejects.toThrow()

    // A client resuming after the failure asks where the upload stands, then carries on elsewhere.
    expect(await uploadStatus(a.url, session)).toBe(`0-${first.length - 1}`)
    expect(await patchChunk(a.url, session, second, first.length)).toBe(`0-${first.length + second.length - 1}`)
    expect(await finishUpload(b.url, session, digest, last)).toBe(digest)
    await expectReadableFromBoth('shared/killed', digest, blob)
  })
})
