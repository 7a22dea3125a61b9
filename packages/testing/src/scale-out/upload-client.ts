/**
 * The blob-upload requests of the distribution API, sent with fetch to whichever registry process a
 * test names: the upload's Location path is kept and replayed against another process's base URL, as
 * a load balancer in front of several instances would do. Every helper throws (with the response
 * body) when the registry answers with another status than the protocol's success.
 */

/** An open upload session: its path (with any query the registry put in Location). */
export interface UploadSession {
  path: string
}

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`)
  }
  return response
}

function toPath(location: string | null, base: string): string {
  if (!location) throw new Error('the registry sent no Location header')
  const url = new URL(location, base)
  return url.pathname + url.search
}

/** POST /v2/<repository>/blobs/uploads/ on `base`: opens a session (202). */
export async function openUpload(base: string, repository: string): Promise<UploadSession> {
  const response = await expectStatus(await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' }), 202, 'POST upload')
  return { path: toPath(response.headers.get('location'), base) }
}

/**
 * PATCH one chunk with Content-Range `start-end` on `base`; resolves with the Range the registry
 * acknowledged (`0-<last byte>`) and follows the session's new Location.
 */
export async function patchChunk(base: string, session: UploadSession, chunk: Uint8Array, start: number): Promise<string> {
  const response = await fetch(`${base}${session.path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + chunk.length - 1}` },
    body: chunk,
  })
  await expectStatus(response, 202, `PATCH bytes ${start}+${chunk.length}`)
  session.path = toPath(response.headers.get('location'), base)
  return response.headers.get('range') ?? ''
}

/**
 * PATCH the whole blob as one streamed request without Content-Range or Content-Length (chunked
 * transfer encoding), as docker and containerd push a layer; resolves with the acknowledged Range.
 */
export async function patchStream(base: string, session: UploadSession, bytes: Uint8Array, pieceSize = 64 * 1024): Promise<string> {
  let offset = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + pieceSize))
      offset += pieceSize
    },
  })
  const response = await fetch(`${base}${session.path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/octet-stream' },
    body,
    // Node's fetch needs this for a streamed request body.
    duplex: 'half',
  })
  await expectStatus(response, 202, 'streamed PATCH')
  session.path = toPath(response.headers.get('location'), base)
  return response.headers.get('range') ?? ''
}

/** PUT ?digest= on `base`, optionally with a last chunk; resolves with the Docker-Content-Digest of the 201. */
export async function finishUpload(base: string, session: UploadSession, digest: string, lastChunk?: Uint8Array): Promise<string> {
  const url = new URL(`${base}${session.path}`)
  url.searchParams.set('digest', digest)
  const response = await fetch(url, {
    method: 'PUT',
    headers: lastChunk ? { 'Content-Type': 'application/octet-stream' } : {},
    ...(lastChunk ? { body: lastChunk } : {}),
  })
  await expectStatus(response, 201, 'PUT upload')
  return response.headers.get('docker-content-digest') ?? ''
}

/** POST ?digest= with the whole blob (a monolithic upload); resolves with the Docker-Content-Digest of the 201. */
export async function pushMonolithic(base: string, repository: string, digest: string, bytes: Uint8Array): Promise<string> {
  const response = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: bytes,
  })
  await expectStatus(response, 201, 'monolithic POST')
  return response.headers.get('docker-content-digest') ?? ''
}

/** GET the upload session's status on `base`: resolves with its Range header. */
export async function uploadStatus(base: string, session: UploadSession): Promise<string> {
  const response = await expectStatus(await fetch(`${base}${session.path}`), 204, 'GET upload status')
  return response.headers.get('range') ?? ''
}

/** GET /v2/<repository>/blobs/<digest> on `base`: the bytes served and the digest header. */
export async function readBlob(base: string, repository: string, digest: string): Promise<{ bytes: Buffer; digest: string | null }> {
  const response = await expectStatus(await fetch(`${base}/v2/${repository}/blobs/${digest}`), 200, `GET blob ${digest}`)
  return { bytes: Buffer.from(await response.arrayBuffer()), digest: response.headers.get('docker-content-digest') }
}
