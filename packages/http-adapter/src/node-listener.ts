import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRegistryError, REQUEST_BODY, toChunkPump, type ChunkPump, type RegistryRequest, type RegistryResponse, type RequestWithBody } from '@wharf/core'
import { toErrorResponse } from './error-response.js'
import { watchIdleBody } from './idle-body.js'
import { toRegistryRequest, toRequestUrl } from './node-registry-request.js'
import { toBadRequest } from './request-target.js'

/**
 * Anything with the core's entry point (a `Registry` from @wharf/core). When `handle` is there the
 * adapters use it and skip building Web `Request`/`Response` objects; otherwise they use `fetch`.
 */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>
  handle?(request: RegistryRequest): Promise<RegistryResponse>
}

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Called when writing a response body fails for a reason other than the client leaving. */
  onError?: (error: unknown) => void
  /**
   * How long the registry waits for the next bytes of a request body it is reading, in ms, before
   * answering 408 and closing the connection. Uploads stay resumable from what was acknowledged.
   * Default 60 s (a slow but live network always delivers something in that time); 0 turns it off.
   */
  bodyIdleTimeoutMs?: number
}

/** {@link NodeListenerOptions.bodyIdleTimeoutMs} when not set. */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000

const BODYLESS = new Set(['GET', 'HEAD'])

/**
 * Builds the Web `Request` for a Node request. The body is not wrapped in a Web stream: the Node
 * stream itself is attached under core's `REQUEST_BODY`, which the registry reads with backpressure.
 * (Set `webBody` to also give the Request a real Web body, for handlers other than wharf's.)
 */
export function toWebRequest(req: IncomingMessage, signal?: AbortSignal, webBody = false, body: AsyncIterable<Uint8Array> = req): Request {
  const url = toRequestUrl(req)
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  const method = req.method ?? 'GET'
  const hasBody = !BODYLESS.has(method)
  const request = new Request(url, {
    method,
    headers,
    ...(signal ? { signal } : {}),
    ...(hasBody && webBody ? { body: req as unknown as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
  if (hasBody && !webBody) (request as Request & RequestWithBody)[REQUEST_BODY] = body
  return request
}

/** Resolves when the response can take more data, or has closed; leaves no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/** Writes a Web `Response` to a Node response, waiting for `drain` and stopping when the client leaves. */
export async function writeWebResponse(response: Response, res: ServerResponse, onError?: (e: unknown) => void): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') headers[name] = response.headers.getSetCookie()
    else headers[name] = value
  })
  await writeNodeResponse(response.status, headers, response.body, res, onError)
}

/** Writes a registry answer (from `registry.handle`) to a Node response, like {@link writeWebResponse}. */
export function writeRegistryResponse(response: RegistryResponse, res: ServerResponse, onError?: (e: unknown) => void): Promise<void> {
  return writeNodeResponse(response.status, response.headers, response.body, res, onError)
}

async function writeNodeResponse(
  status: number,
  headers: Record<string, string | string[]>,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
  res: ServerResponse,
  onError?: (e: unknown) => void,
): Promise<void> {
  const stream = body instanceof ReadableStream ? body : null
  if (res.destroyed || res.headersSent) {
    // The client left (or was already answered) while this answer was being prepared: release the
    // body's storage stream.
    await stream?.cancel().catch(() => undefined)
    return
  }
  res.writeHead(status, headers)
  if (!stream) {
    res.end(body ?? undefined)
    return
  }
  const pump = toChunkPump(stream)
  if (pump) return pumpToResponse(pump, res, toLength(headers['content-length'] ?? headers['Content-Length']), onError)
  const reader = stream.getReader()
  const stop = () => void reader.cancel().catch(() => undefined)
  res.once('close', stop)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (res.destroyed) return
      if (!res.write(value)) await drained(res)
    }
    res.end()
  } catch (error) {
    if (!res.destroyed) onError?.(error)
    res.destroy()
  } finally {
    res.off('close', stop)
  }
}

/**
 * Writes a storage stream's bytes through its chunk pump (core's `CHUNK_PUMP`): each chunk is
 * released back to the pump once the socket has taken it (the write callback), so the pump can
 * refill its buffer. This is also the backpressure: one chunk written, one being read. When the
 * client leaves, the pending write fails, which stops the pump and closes the file.
 */
async function pumpToResponse(pump: ChunkPump, res: ServerResponse, length: number | undefined, onError?: (e: unknown) => void): Promise<void> {
  let sent = 0
  let fail: ((error: unknown) => void) | undefined
  // A failed write (ECONNRESET, EPIPE) means the client left: not an error to report.
  let clientGone = false
  const gone = () => {
    clientGone = true
    fail?.(new Error('the client closed the connection'))
  }
  res.once('close', gone)
  try {
    await pump(
      (chunk) =>
        new Promise<void>((resolve, reject) => {
          if (res.destroyed) {
            clientGone = true
            return reject(new Error('the client closed the connection'))
          }
          fail = reject
          res.write(chunk, (error) => {
            if (!error) return resolve()
            clientGone = true
            reject(error)
          })
          // End with the last byte, not after its write callback: by then the client may have read
          // the whole body and moved on (a server closing its idle connections would find this one
          // still busy and wait for the keep-alive timeout).
          sent += chunk.length
          if (sent === length) res.end()
        }),
    )
    if (!res.writableEnded) res.end()
  } catch (error) {
    if (!clientGone && !res.destroyed) onError?.(error)
    res.destroy()
  } finally {
    res.off('close', gone)
  }
}

/** A `Content-Length` header value as a number, when it is one. */
function toLength(value: string | string[] | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/** The request body as the registry will read it: watched for stalls unless the watch is off. */
function toWatchedBody(req: IncomingMessage, res: ServerResponse, idleMs: number): AsyncIterable<Uint8Array> {
  if (idleMs <= 0 || BODYLESS.has(req.method ?? 'GET')) return req
  return watchIdleBody(req, {
    idleMs,
    // The rest of the body will never be read: the connection cannot carry another request.
    onIdle: () => (res.headersSent ? res.destroy() : res.setHeader('Connection', 'close')),
  })
}

/**
 * A node:http / node:https request listener serving a registry. Bodies stream both ways with
 * backpressure. When the client goes away, a response body being written is cancelled (which stops
 * the storage read), and an upload's body stream fails (which stops the storage write); when it
 * stalls for `bodyIdleTimeoutMs`, the upload is answered 408 and the connection closed. The route
 * comes from the request target alone; a malformed Host or target is answered 400 with an error
 * body. No AbortSignal is wired per request: that would cost more than the rest of a small
 * request's work.
 */
export function toNodeListener(registry: FetchHandler, options: NodeListenerOptions = {}) {
  const idleMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS
  return (req: IncomingMessage, res: ServerResponse): void => {
    let answered: Promise<void>
    try {
      const body = toWatchedBody(req, res, idleMs)
      answered = registry.handle
        ? registry.handle(toRegistryRequest(req, body)).then((response) => writeRegistryResponse(response, res, options.onError))
        : registry.fetch(toWebRequest(req, undefined, false, body)).then((response) => writeWebResponse(response, res, options.onError))
    } catch (error) {
      if (!isRegistryError(error)) options.onError?.(error)
      // The body is never read: close rather than leave the connection to drain it.
      res.setHeader('Connection', 'close')
      const refusal = isRegistryError(error) ? error : toBadRequest('bad request')
      void writeRegistryResponse(toErrorResponse(refusal, req.method ?? 'GET'), res)
      return
    }
    answered.catch((error: unknown) => {
      options.onError?.(error)
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  }
}
