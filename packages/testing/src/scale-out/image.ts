import { createHash, randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { readBlob } from './upload-client.js'

export const MiB = 1024 * 1024
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** `sha256:<hex>` of `bytes`. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** Splits `bytes` at the given sizes, cycling through them (the last piece may be shorter). */
export function toChunks(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!
    chunks.push(bytes.subarray(offset, offset + size))
    offset += size
  }
  return chunks
}

/** A random image: its blobs (config first, then layers of `layerSizes`), its OCI manifest and digest. */
export interface TestImage {
  blobs: Buffer[]
  manifest: Buffer
  digest: string
}

/** Builds a {@link TestImage}; `label` goes into the config, so each label gives different digests. */
export function makeImage(label: string, layerSizes: readonly number[]): TestImage {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', label, nonce: randomBytes(8).toString('hex'), rootfs: { type: 'layers', diff_ids: [] } }),
  )
  const layers = layerSizes.map((size) => randomBytes(size))
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

/** PUT a manifest by tag on `base`; resolves with the Docker-Content-Digest of the 201 (throws otherwise). */
export async function putManifest(base: string, repository: string, tag: string, bytes: Buffer): Promise<string> {
  const response = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': OCI_MANIFEST },
    body: bytes,
  })
  if (response.status !== 201) throw new Error(`PUT manifest on ${base}: ${response.status} ${await response.text()}`)
  return response.headers.get('docker-content-digest') ?? ''
}

/** Every base in `bases` serves `digest` in `repository` with exactly `bytes` and the digest header. */
export async function expectServedByAll(bases: readonly string[], repository: string, digest: string, bytes: Buffer): Promise<void> {
  for (const base of bases) {
    const served = await readBlob(base, repository, digest)
    expect(served.digest).toBe(digest)
    expect(served.bytes.length).toBe(bytes.length)
    expect(served.bytes.equals(bytes)).toBe(true)
  }
}
