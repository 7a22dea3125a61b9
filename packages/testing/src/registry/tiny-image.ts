import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/** The blobs and manifest of a generated image, ready to push. */
export interface TinyImage {
  /** Config blob (OCI image config JSON). */
  config: { bytes: Buffer; digest: string }
  /** One gzipped tar layer per requested file. */
  layers: { bytes: Buffer; digest: string }[]
  /** The OCI image manifest bytes and digest. */
  manifest: { bytes: Buffer; digest: string; mediaType: string }
}

/** Options of {@link makeTinyImage}. */
export interface TinyImageOptions {
  /** Files of the image, one layer each; default one `/hello.txt` with random content (a unique image). */
  files?: Record<string, string | Uint8Array>
  /** Default linux/amd64. */
  platform?: { os: string; architecture: string }
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** One ustar entry: a 512-byte header and the content padded to 512 bytes. */
function tarEntry(path: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512)
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8')
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0')
  field(path.replace(/^\/+/, ''), 0, 100)
  field(octal(0o644, 8), 100, 8)
  field(octal(0, 8), 108, 8)
  field(octal(0, 8), 116, 8)
  field(octal(content.length, 12), 124, 12)
  field(octal(0, 12), 136, 12)
  field('        ', 148, 8) // checksum counts as spaces while it is computed
  field('0', 156, 1)
  field('ustar\u000000', 257, 8)
  let sum = 0
  for (const byte of header) sum += byte
  field(`${octal(sum, 7)}\u0000 `, 148, 8)
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512)
  return Buffer.concat([header, content, padding])
}

/**
 * Generates a small but real image: each layer is a valid gzipped tar, the config lists their
 * diff_ids, so skopeo, containerd or docker can pull and unpack it, not only the registry store it.
 */
export function makeTinyImage(options: TinyImageOptions = {}): TinyImage {
  const files = options.files ?? { '/hello.txt': `hello from wharf ${randomBytes(8).toString('hex')}\n` }
  const diffIds: string[] = []
  const layers = Object.entries(files).map(([path, content]) => {
    const tar = Buffer.concat([tarEntry(path, Buffer.from(content)), Buffer.alloc(1024)])
    diffIds.push(sha256(tar))
    const bytes = gzipSync(tar)
    return { bytes, digest: sha256(bytes) }
  })
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' }
  const configBytes = Buffer.from(JSON.stringify({ ...platform, config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }))
  const config = { bytes: configBytes, digest: sha256(configBytes) }
  const mediaType = 'application/vnd.oci.image.manifest.v1+json'
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.bytes.length })),
    }),
  )
  return { config, layers, manifest: { bytes: manifestBytes, digest: sha256(manifestBytes), mediaType } }
}

/**
 * Writes `image` as an OCI image layout at `directory` with `tag` as its ref name, the source form
 * `skopeo copy oci:<directory>:<tag> docker://...` pushes from.
 */
export async function writeOciLayout(directory: string, image: TinyImage, tag = 'latest'): Promise<void> {
  const blobs = join(directory, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  for (const blob of [image.config, ...image.layers, image.manifest]) {
    await writeFile(join(blobs, blob.digest.slice('sha256:'.length)), blob.bytes)
  }
  await writeFile(join(directory, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const descriptor = {
    mediaType: image.manifest.mediaType,
    digest: image.manifest.digest,
    size: image.manifest.bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }
  await writeFile(join(directory, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }))
}
