import type { uploadClient } from '@wharf/testing'

type UploadSession = uploadClient.UploadSession

/**
 * PATCHes `body` as one streamed request (chunked transfer encoding: no Content-Length, no
 * Content-Range), as docker and containerd push a layer, to `base` + the session's path. Resolves with
 * the Range the registry acknowledged and follows the session's new Location; throws on any status but 202.
 */
export async function patchStreamed(base: string, session: UploadSession, body: ReadableStream<Uint8Array>): Promise<string> {
  const response = await fetch(`${base}${session.path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/octet-stream' },
    body,
    // Node's fetch needs this for a streamed request body.
    duplex: 'half',
  } as RequestInit)
  if (response.status !== 202) throw new Error(`streamed PATCH: expected 202, got ${response.status} ${await response.text()}`)
  await response.body?.cancel()
  const location = response.headers.get('location')
  if (!location) throw new Error('the registry sent no Location header')
  const url = new URL(location, base)
  session.path = url.pathname + url.search
  return response.headers.get('range') ?? ''
}
