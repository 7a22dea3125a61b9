import { RegistryError } from '../errors/registry-error.js'
import { isPastTotal, toChunkRange } from '../grammar/ranges.js'
import type { IncomingChunk } from '../uploads/upload-service.js'
import { toBodyChunks } from './request-body.js'
import type { RegistryRequest } from './registry-message.js'

/** Content-Length as a number; `undefined` when absent; SIZE_INVALID when malformed. */
export function toContentLength(request: RegistryRequest): number | undefined {
  const header = request.headers.get('content-length')
  if (header === null) return undefined
  if (!/^\d{1,16}$/.test(header.trim())) throw new RegistryError('SIZE_INVALID', { message: 'malformed Content-Length' })
  return Number(header)
}

/** The chunk a PATCH or PUT carries: its body, Content-Range and Content-Length, checked. */
export function toIncomingChunk(request: RegistryRequest): IncomingChunk {
  const length = toContentLength(request)
  const rangeHeader = request.headers.get('content-range')
  const range = rangeHeader === null ? undefined : toChunkRange(rangeHeader)
  if (rangeHeader !== null && !range) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', { message: 'malformed Content-Range' })
  }
  if (range && isPastTotal(range)) {
    // As an out-of-order chunk: the range cannot be satisfied, so 416, before any byte is stored.
    throw new RegistryError('BLOB_UPLOAD_INVALID', { status: 416, message: `Content-Range ends at ${range.end}, past the stated total of ${range.total} bytes` })
  }
  const body = length === 0 ? null : toBodyChunks(request)
  return { body, ...(range ? { range: { start: range.start, end: range.end } } : {}), ...(length === undefined ? {} : { length }) }
}

/** Reads a whole body of at most `limit` bytes; SIZE_INVALID with 413 when larger. */
export async function readLimited(request: RegistryRequest, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new RegistryError('SIZE_INVALID', { status: 413, message: `the body is larger than ${limit} bytes` })
  const declared = toContentLength(request)
  if (declared !== undefined && declared > limit) throw tooLarge()
  const chunks = toBodyChunks(request)
  if (!chunks) return new Uint8Array(0)
  const parts: Uint8Array[] = []
  let total = 0
  for await (const chunk of chunks) {
    total += chunk.length
    if (total > limit) throw tooLarge()
    parts.push(chunk)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
