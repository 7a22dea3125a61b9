import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

interface Blob {
  digest: string
  size: number
}

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`

/** Writes blobs of an OCI layout under `dir`, returning their descriptors' digest and size. */
function blobWriter(dir: string) {
  return async (data: Uint8Array | string): Promise<Blob> => {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
    const digest = sha256(data)
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), data)
    return { digest, size: Buffer.byteLength(data) }
  }
}

/** An image manifest for one platform, with a config that has env, cmd and labels, and two layers. */
async function writeImage(put: (data: Uint8Array | string) => Promise<Blob>, architecture: string, seed: string): Promise<Blob> {
  const config = await put(
    JSON.stringify({
      architecture,
      os: 'linux',
      created: '2024-05-01T12:00:00Z',
      config: { Env: ['PATH=/usr/bin', `SEED=${seed}`], Cmd: ['/bin/serve', '--port', '8080'], Labels: { 'org.opencontainers.image.title': 'demo' } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  )
  const layers = [await put(new Uint8Array(2048).fill(seed.charCodeAt(0))), await put(new Uint8Array(5000).fill(architecture.charCodeAt(1)))]
  return put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
    }),
  )
}

async function writeLayout(dir: string, tag: string, mediaType: string, manifest: Blob): Promise<void> {
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType, ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }))
}

/** A single-platform (linux/amd64) image layout in `dir`, tagged `tag`; returns its manifest digest. */
export async function writeImageLayout(dir: string, tag: string, seed: string): Promise<string> {
  const manifest = await writeImage(blobWriter(dir), 'amd64', seed)
  await writeLayout(dir, tag, OCI_MANIFEST, manifest)
  return manifest.digest
}

/** A two-platform (linux/amd64, linux/arm64) image index layout in `dir`, tagged `tag`. */
export async function writeIndexLayout(dir: string, tag: string): Promise<string> {
  const put = blobWriter(dir)
  const amd64 = await writeImage(put, 'amd64', 'a')
  const arm64 = await writeImage(put, 'arm64', 'b')
  const index = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }),
  )
  await writeLayout(dir, tag, OCI_INDEX, index)
  return index.digest
}

/** `skopeo copy --all` from a layout to the registry (plain HTTP), with credentials when given. */
export async function skopeoPush(layout: string, tag: string, target: string, creds?: string): Promise<void> {
  await run('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), `oci:${layout}:${tag}`, `docker://${target}`])
}

/** `skopeo inspect --raw`: whether the reference can be pulled (its manifest is served). */
export async function skopeoPull(target: string, creds?: string): Promise<boolean> {
  try {
    await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${target}`])
    return true
  } catch {
    return false
  }
}

/** Pushes an SBOM-like artifact whose subject is `subject`, straight through the /v2 API. */
export async function pushReferrer(base: string, repository: string, subject: { digest: string; size: number; mediaType: string }, authorization?: string): Promise<string> {
  const headers: Record<string, string> = authorization ? { authorization } : {}
  const upload = async (data: string) => {
    const digest = sha256(data)
    const r = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: data })
    if (r.status !== 201) throw new Error(`blob upload answered ${r.status}`)
    return { digest, size: Buffer.byteLength(data) }
  }
  const empty = await upload('{}')
  const sbom = await upload(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'demo' }))
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/spdx+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
    layers: [{ mediaType: 'application/spdx+json', ...sbom }],
    subject,
  })
  const digest = sha256(manifest)
  const r = await fetch(`${base}/v2/${repository}/manifests/${digest}`, { method: 'PUT', headers: { ...headers, 'content-type': OCI_MANIFEST }, body: manifest })
  if (r.status !== 201) throw new Error(`referrer push answered ${r.status}`)
  return digest
}
