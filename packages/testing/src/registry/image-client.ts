import { makeTinyImage, type TinyImageOptions } from './tiny-image.js'

/** What {@link pushImage} pushed. */
export interface PushedImage {
  /** `repository:tag` or `repository@digest` as given. */
  reference: string
  /** Digest of the pushed manifest. */
  digest: string
}

/** `repository:tag` or `repository@sha256:...` split into its parts. */
function splitReference(reference: string): { repository: string; reference: string } {
  const at = reference.indexOf('@')
  if (at > 0) return { repository: reference.slice(0, at), reference: reference.slice(at + 1) }
  const colon = reference.lastIndexOf(':')
  if (colon > reference.lastIndexOf('/')) return { repository: reference.slice(0, colon), reference: reference.slice(colon + 1) }
  return { repository: reference, reference: 'latest' }
}

async function expectStatus(response: Response, ok: readonly number[], what: string): Promise<Response> {
  if (!ok.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} ${await response.text().catch(() => '')}`.trim())
  }
  return response
}

/**
 * Pushes a small generated image (see {@link makeTinyImage}) to the registry at `url`
 * (`http://host:port`) as `reference` (`repository[:tag]`): monolithic blob uploads and a manifest
 * PUT, nothing that needs a container client installed.
 */
export async function pushImage(url: string, reference: string, options: TinyImageOptions = {}): Promise<PushedImage> {
  const target = splitReference(reference)
  const image = makeTinyImage(options)
  for (const blob of [image.config, ...image.layers]) {
    const base = `${url}/v2/${target.repository}/blobs`
    const head = await fetch(`${base}/${blob.digest}`, { method: 'HEAD' })
    if (head.status === 200) continue
    const start = await expectStatus(await fetch(`${base}/uploads/`, { method: 'POST' }), [202], `start upload of ${blob.digest}`)
    const location = new URL(start.headers.get('location') ?? '', url)
    location.searchParams.set('digest', blob.digest)
    const put = await fetch(location, { method: 'PUT', body: blob.bytes, headers: { 'content-type': 'application/octet-stream' } })
    await expectStatus(put, [201], `upload of ${blob.digest}`)
  }
  const put = await fetch(`${url}/v2/${target.repository}/manifests/${target.reference}`, {
    method: 'PUT',
    body: image.manifest.bytes,
    headers: { 'content-type': image.manifest.mediaType },
  })
  await expectStatus(put, [201], `manifest PUT of ${reference}`)
  return { reference, digest: image.manifest.digest }
}

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

/** Digest of the manifest `reference` names at `url`, or `undefined` when there is none (404). */
export async function resolveImage(url: string, reference: string): Promise<string | undefined> {
  const target = splitReference(reference)
  const head = await fetch(`${url}/v2/${target.repository}/manifests/${target.reference}`, { method: 'HEAD', headers: { accept: ACCEPT } })
  if (head.status === 404) return undefined
  await expectStatus(head, [200], `HEAD manifest ${reference}`)
  return head.headers.get('docker-content-digest') ?? undefined
}

/** True when the registry at `url` serves a manifest for `reference`. */
export async function imageExists(url: string, reference: string): Promise<boolean> {
  return (await resolveImage(url, reference)) !== undefined
}

/**
 * Deletes the manifest `reference` names (a tag is resolved to its digest first, as the spec
 * deletes manifests by digest). Resolves with `false` when there was nothing to delete.
 */
export async function deleteImage(url: string, reference: string): Promise<boolean> {
  const digest = await resolveImage(url, reference)
  if (digest === undefined) return false
  const { repository } = splitReference(reference)
  const response = await fetch(`${url}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })
  await expectStatus(response, [202], `DELETE manifest ${reference}`)
  return true
}
