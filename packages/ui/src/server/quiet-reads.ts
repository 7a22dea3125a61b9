import { createHash } from 'node:crypto'
import { storageKeys, toDigest } from '@wharf/core'
import type { Viewer } from './viewer.js'

/**
 * Reads for the UI that are not pulls. A GET of a manifest or blob through /v2 emits a `pull` event,
 * which webhooks, audit logs and retention's "pulled within" rule would count: looking at an image in
 * the UI must not keep it alive or page anyone. So the UI asks /v2 with HEAD (the registry checks
 * access and resolves the tag; HEAD emits nothing) and then reads the bytes from the storage by the
 * documented key layout, checking them against the digest. Anything unexpected (a registry:2 tree
 * served in place, a changed layout) falls back to the GET.
 */
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** Bytes whose digest is `digest` (sha256 only is checked; other algorithms fall back). */
const matches = (bytes: Uint8Array, digest: string) => digest.startsWith('sha256:') && sha256(bytes) === digest

/** The manifest's digest, media type and bytes without a pull event; `undefined` when there is no such manifest. */
export async function headThenRead(viewer: Viewer, repository: string, reference: string): Promise<{ response: Response; quiet?: { digest: string; mediaType: string; bytes: Uint8Array } }> {
  const head = await viewer.v2(`/v2/${repository}/manifests/${reference}`, { method: 'HEAD' })
  const digest = head.headers.get('docker-content-digest')
  const parsed = digest ? toDigest(digest) : undefined
  if (!head.ok || !digest || !parsed) return { response: head }
  try {
    const stored = (await viewer.registry.storage.get(storageKeys.manifestRevision(repository, parsed))).body
    const newline = stored.indexOf(10)
    const header = new TextDecoder().decode(stored.subarray(0, newline))
    const mediaType = header.slice(0, header.indexOf('\t'))
    const bytes = stored.subarray(newline + 1)
    if (newline > 0 && mediaType && matches(bytes, digest)) return { response: head, quiet: { digest, mediaType, bytes } }
  } catch {
    // not in wharf's own layout: the GET below
  }
  return { response: head }
}

/** A blob's bytes (at most `maxBytes`) without a pull event; `undefined` when not readable that way. */
export async function readBlobQuietly(viewer: Viewer, repository: string, digest: string, maxBytes: number): Promise<Uint8Array | undefined> {
  const parsed = toDigest(digest)
  if (!parsed) return undefined
  const head = await viewer.v2(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD', accept: '*/*' })
  if (!head.ok) return undefined
  try {
    const record = JSON.parse(new TextDecoder().decode((await viewer.registry.storage.get(storageKeys.blobRecord(parsed))).body)) as { key?: unknown; size?: unknown }
    if (typeof record.key !== 'string' || typeof record.size !== 'number' || record.size > maxBytes) return undefined
    const bytes = (await viewer.registry.storage.get(record.key)).body
    return matches(bytes, digest) ? bytes : undefined
  } catch {
    return undefined
  }
}
