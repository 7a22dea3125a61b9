import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/** Writes a one-layer OCI image layout (tag `latest`) by hand, for skopeo to push. Returns its directory. */
export function writeOciLayout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-oci-'))
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex')
    writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes)
    return { digest: `sha256:${hex}`, size: bytes.length }
  }
  // A tar of one small file would be more realistic, but registries never look inside layers.
  const raw = randomBytes(4096)
  const layer = put(gzipSync(raw))
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(raw).digest('hex')}`] },
  })))
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })))
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  }))
  return dir
}
