import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const sha = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`

/** `skopeo` with plain HTTP on both sides. */
export async function skopeo(command: string, ...args: string[]): Promise<string> {
  const tls = command === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : ['--tls-verify=false']
  const { stdout } = await run('skopeo', [command, ...tls, ...args], { maxBuffer: 1 << 24 })
  return stdout
}

interface Blob {
  digest: string
  size: number
  mediaType: string
}

/** An OCI image layout written by hand: blobs, per-platform images and an index, tagged in index.json. */
export class OciLayout {
  private readonly refs: object[] = []
  constructor(readonly dir: string) {}

  async blob(data: Uint8Array | string, mediaType: string): Promise<Blob> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true })
    const digest = sha(data)
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), data)
    return { digest, size: Buffer.byteLength(data), mediaType }
  }

  /** A one-layer image for `arch` with random layer bytes (so each test run has its own digests). */
  async image(arch: string): Promise<Blob> {
    const layer = await this.blob(randomBytes(4096), 'application/vnd.oci.image.layer.v1.tar')
    const config = await this.blob(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }), 'application/vnd.oci.image.config.v1+json')
    return this.blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }), 'application/vnd.oci.image.manifest.v1+json')
  }

  async index(children: { manifest: Blob; arch: string }[]): Promise<Blob> {
    const manifests = children.map((c) => ({ ...c.manifest, platform: { architecture: c.arch, os: 'linux' } }))
    return this.blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }), 'application/vnd.oci.image.index.v1+json')
  }

  async tag(tag: string, manifest: Blob): Promise<void> {
    this.refs.push({ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } })
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.refs }))
  }
}

/** Monolithic blob upload and manifest PUT over the plain API (for the artifact, which skopeo cannot make). */
export async function pushArtifact(url: string, repository: string, subject: Blob, tag: string): Promise<string> {
  const empty = '{}'
  // POST then PUT: registry:2.8 does not take a monolithic POST.
  const started = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  const target = new URL(started.headers.get('location')!, url)
  target.searchParams.set('digest', sha(empty))
  const upload = await fetch(target, { method: 'PUT', body: empty, headers: { 'content-type': 'application/octet-stream' } })
  if (upload.status !== 201) throw new Error(`blob upload: ${upload.status}`)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.example.signature.v1',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 },
    layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  })
  const put = await fetch(`${url}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })
  if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${await put.text()}`)
  return sha(manifest)
}

/** The manifest at `reference` as served: bytes, digest header and content type. */
export async function getManifest(url: string, repository: string, reference: string): Promise<{ status: number; digest: string | null; type: string | null; bytes: string }> {
  const accept = [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
  ].join(', ')
  const r = await fetch(`${url}/v2/${repository}/manifests/${reference}`, { headers: { accept } })
  return { status: r.status, digest: r.headers.get('docker-content-digest'), type: r.headers.get('content-type'), bytes: await r.text() }
}

export { sha }
