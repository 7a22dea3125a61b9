import { createHash } from 'node:crypto'

/** `sha256:<hex>` of some bytes. */
export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** Pushes a blob with POST then PUT (the monolithic flow); returns its digest. Throws on a non-201. */
export async function pushBlob(base: string, repository: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(data)
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers })
  if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${await start.text()}`)
  const location = new URL(start.headers.get('location')!, base)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: data })
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status} ${await put.text()}`)
  return digest
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** A small image pushed to `repository:tag`: a config blob, one layer, and the manifest. */
export interface PushedImage {
  configDigest: string
  layerDigest: string
  layerSize: number
  manifestDigest: string
  manifestSize: number
  manifest: string
}

export async function pushImage(base: string, repository: string, tag: string, layer: Uint8Array = new TextEncoder().encode(`layer of ${repository}:${tag}`), headers: Record<string, string> = {}): Promise<PushedImage> {
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }))
  const configDigest = await pushBlob(base, repository, config, headers)
  const layerDigest = await pushBlob(base, repository, layer, headers)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  })
  const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { ...headers, 'Content-Type': OCI_MANIFEST }, body: manifest })
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${await put.text()}`)
  return { configDigest, layerDigest, layerSize: layer.length, manifestDigest: sha256(manifest), manifestSize: Buffer.byteLength(manifest), manifest }
}

/** Polls `check` until it returns true (or throws after `ms`). */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
