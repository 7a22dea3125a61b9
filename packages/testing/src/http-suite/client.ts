import { createHash, randomBytes } from 'node:crypto'

/** How the HTTP suite talks to a registry: in process (`registry.fetch`) or over a real port. */
export interface RegistryClient {
  /** Sends a request for `path` (starting with `/v2`). */
  fetch(path: string, init?: RequestInit): Promise<Response>
  close(): Promise<void>
}

/** Starts a registry for the suite; `options` switch features the suite needs to test both ways. */
export type StartRegistryClient = (options: { deleteEnabled?: boolean }) => Promise<RegistryClient>

/** A random blob and its sha256 digest. */
export function makeBlob(size: number): { bytes: Buffer; digest: string } {
  const bytes = randomBytes(size)
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` }
}

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** A fresh repository name, so tests never see each other's data. */
export function repoName(prefix = 'suite'): string {
  return `${prefix}/${randomBytes(4).toString('hex')}`
}

/** Pushes a blob in one POST and returns its digest. */
export async function pushBlob(client: RegistryClient, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes)
  const res = await client.fetch(`/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
    body: bytes,
  })
  if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`)
  return digest
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

/** Pushes a config and a layer, and returns an OCI image manifest referencing them (not pushed). */
export async function makeImage(
  client: RegistryClient,
  repo: string,
  extra: Record<string, unknown> = {},
  mediaTypes = { manifest: OCI_MANIFEST, config: 'application/vnd.oci.image.config.v1+json', layer: 'application/vnd.oci.image.layer.v1.tar+gzip' },
): Promise<{ bytes: Buffer; digest: string; mediaType: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }))
  const layer = randomBytes(1024)
  const configDigest = await pushBlob(client, repo, config)
  const layerDigest = await pushBlob(client, repo, layer)
  const manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    config: { mediaType: mediaTypes.config, digest: configDigest, size: config.length },
    layers: [{ mediaType: mediaTypes.layer, digest: layerDigest, size: layer.length }],
    ...extra,
  }
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2))
  return { bytes, digest: sha256(bytes), mediaType: mediaTypes.manifest }
}

/** PUTs a manifest under `reference` and returns the response. */
export function putManifest(client: RegistryClient, repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Response> {
  return client.fetch(`/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: bytes,
  })
}

/** The first error code of an error response. */
export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: Array<{ code: string }> }
  return body.errors?.[0]?.code
}
