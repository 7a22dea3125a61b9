import { createHash, randomFillSync } from 'node:crypto'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Writes an OCI image layout (what `skopeo copy oci:<dir>:<tag>` reads) of one image whose layers
 * are random bytes of the given sizes in MiB: incompressible, so neither registry nor client can
 * shortcut them, and new on every call, so no registry (nor skopeo's blob-info cache, which would
 * turn a push into a cross-repository mount) has seen them before. The layers are declared
 * gzip-compressed; skopeo copies them as they are and never decompresses them.
 * Returns the total bytes of the image's blobs.
 */
export async function writeRandomImageLayout(dir, layerMiB, tag = 'latest') {
  await rm(dir, { recursive: true, force: true })
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const layers = []
  for (const mib of layerMiB) layers.push(await writeRandomBlob(dir, mib * 1024 * 1024))
  const config = await writeBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        // diff_ids are the digests of the uncompressed layers; random "gzip" has none, and skopeo
        // does not check them on a plain copy. These are placeholders with the right syntax.
        rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      }),
    ),
  )
  const manifest = await writeBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer })),
      }),
    ),
  )
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  )
  return layers.reduce((sum, layer) => sum + layer.size, config.size + manifest.size)
}

async function writeBlob(dir, bytes) {
  const hex = createHash('sha256').update(bytes).digest('hex')
  await writeFile(join(dir, 'blobs', 'sha256', hex), bytes)
  return { digest: `sha256:${hex}`, size: bytes.length }
}

/** A random blob written in 1 MiB pieces (never the whole layer in memory). */
async function writeRandomBlob(dir, size) {
  const staging = join(dir, 'blobs', 'staging')
  const handle = await open(staging, 'w')
  const hash = createHash('sha256')
  const piece = Buffer.allocUnsafe(1024 * 1024)
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(piece.length, size - written)
      randomFillSync(piece, 0, n)
      hash.update(piece.subarray(0, n))
      await handle.write(piece, 0, n)
      written += n
    }
  } finally {
    await handle.close()
  }
  const hex = hash.digest('hex')
  await rename(staging, join(dir, 'blobs', 'sha256', hex))
  return { digest: `sha256:${hex}`, size }
}
