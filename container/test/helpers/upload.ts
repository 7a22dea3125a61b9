import { createHash } from 'node:crypto'
import { request } from 'node:http'

export const MIB = 1024 * 1024

/** Chunk `i` of the test blob: 1 MiB of one byte value, so any range can be regenerated for a resume. */
export function chunk(i: number): Buffer {
  return Buffer.alloc(MIB, i % 251)
}

/** The digest of chunks 0 … total-1. */
export function blobDigest(total: number): string {
  const hash = createHash('sha256')
  for (let i = 0; i < total; i++) hash.update(chunk(i))
  return `sha256:${hash.digest('hex')}`
}

/** POST …/blobs/uploads/ → the absolute upload URL. */
export async function startUpload(base: string, repository: string): Promise<string> {
  const response = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  if (response.status !== 202) throw new Error(`POST upload: ${response.status} ${await response.text()}`)
  return new URL(response.headers.get('location')!, base).href
}

export interface StreamedPatch {
  /** Resolves once chunks `from` … `pauseAfter`-1 are written and the socket has taken them. */
  paused: Promise<void>
  /** Sends the remaining chunks up to `to` and ends the body. */
  resume(): void
  /** The response (status and Location), or the error when the connection is cut. */
  done: Promise<{ status: number; location: string | undefined }>
}

/**
 * A streamed PATCH as docker sends a layer (chunked, no Content-Length) of the blob's bytes from byte
 * `fromByte` to the end of chunk `to`-1, that stops sending after chunk `pauseAfter`-1 until
 * `resume()`: the test decides, by events, what happens while the request is in flight.
 */
export function streamPatch(url: string, options: { fromByte?: number; to: number; pauseAfter: number }): StreamedPatch {
  const fromByte = options.fromByte ?? 0
  const from = Math.floor(fromByte / MIB)
  const piece = (i: number) => (i === from ? chunk(i).subarray(fromByte - from * MIB) : chunk(i))
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' }
  if (fromByte > 0) headers['Content-Range'] = `${fromByte}-${options.to * MIB - 1}`
  const req = request(url, { method: 'PATCH', headers })
  let resumeSending: () => void = () => undefined
  const resumed = new Promise<void>((resolve) => (resumeSending = resolve))
  const done = new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
    })
    req.on('error', reject)
  })
  // Avoid an unhandled rejection while nobody awaits `done` yet.
  done.catch(() => undefined)
  const write = (buffer: Buffer) =>
    new Promise<void>((resolve, reject) => {
      req.write(buffer, (error) => (error ? reject(error) : resolve()))
    })
  const paused = (async () => {
    for (let i = from; i < options.pauseAfter; i++) await write(piece(i))
  })()
  void paused
    .then(() => resumed)
    .then(async () => {
      for (let i = Math.max(from, options.pauseAfter); i < options.to; i++) await write(piece(i))
      req.end()
    })
    .catch(() => undefined)
  return { paused, resume: () => resumeSending(), done }
}
