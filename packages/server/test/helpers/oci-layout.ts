import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** What {@link writeOciLayout} wrote. */
export interface OciLayoutImage {
  manifestDigest: string
  layerDigest: string
}

/**
 * Writes a one-layer image as an OCI image layout in `dir` (oci-layout, index.json, blobs/sha256),
 * tagged `tag`, for clients such as skopeo to copy from (`oci:<dir>:<tag>`).
 */
export async function writeOciLayout(dir: string, tag: string, layer: Uint8Array): Promise<OciLayoutImage> {
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  const put = async (data: Uint8Array | string) => {
    const hex = createHash('sha256').update(data).digest('hex')
    await writeFile(join(blobs, hex), data)
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) }
  }
  const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }))
  const layerBlob = await put(layer)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
  })
  const manifestBlob = await put(manifest)
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestBlob, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  )
  return { manifestDigest: manifestBlob.digest, layerDigest: layerBlob.digest }
}
