import { createHash } from 'node:crypto'
import { request } from 'node:http'

export const MIB = 1024 * 1024

/** Chunk `i` of a test blob: 1 MiB of the byte `i % 251`. */
export function testChunk(i: number): Buffer {
  return Buffer.alloc(MIB, i % 251)
}

/** The digest of a test blob of `mib` chunks (see {@link testChunk}). */
export function testBlobDigest(mib: number, fromChunk = 0): string {
  const hash = createHash('sha256')
  for (let i = fromChunk; i < mib; i++) hash.update(testChunk(i))
  return `sha256:${hash.digest('hex')}`
}

/** Options of {@link streamUpload}. */
export interface StreamUploadOptions {
  method: 'PATCH' | 'PUT'
  /** First and last chunk (exclusive) of the test blob to send. */
  fromChunk?: number
  toChunk: number
  /** Pace: milliseconds to wait after each MiB. */
  delayPerMiB?: number
  /** Sent as Content-Length when true (a monolithic PUT); chunked transfer otherwise (docker's PATCH). */
  declareLength?: boolean
  headers?: Record<string, string>
  /** Called with the number of MiB written so far. */
  onProgress?: (mib: number) => void
}

/** Streams part of a test blob in one request with backpressure; resolves with the answer, rejects if the connection drops. */
export function streamUpload(url: string, options: StreamUploadOptions): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const from = options.fromChunk ?? 0
  const length = (options.toChunk - from) * MIB
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        agent: false,
        headers: { 'Content-Type': 'application/octet-stream', ...(options.declareLength ? { 'Content-Length': String(length) } : {}), ...options.headers },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    void (async () => {
      for (let i = from; i < options.toChunk; i++) {
        if (req.destroyed) return
        if (!req.write(testChunk(i))) await new Promise((r) => (req.once('drain', r), req.once('close', r)))
        options.onProgress?.(i - from + 1)
        if (options.delayPerMiB) await new Promise((r) => setTimeout(r, options.delayPerMiB))
      }
      req.end()
    })()
  })
}
