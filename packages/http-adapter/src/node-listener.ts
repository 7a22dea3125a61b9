import type { IncomingMessage, ServerResponse } from 'node:http'
import { REQUEST_BODY, type RequestWithBody } from '@wharf/core'

/** Anything with the core's single entry point (a `Registry` from @wharf/core). */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>
}

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Called when writing a response body fails for a reason other than the client leaving. */
  onError?: (error: unknown) => void
}

const BODYLESS = new Set(['GET', 'HEAD'])

/**
 * Builds the Web `Request` for a Node request. The body is not wrapped in a Web stream: the Node
 * stream itself is attached under core's `REQUEST_BODY`, which the registry reads with backpressure.
 * (Set `webBody` to also give the Request a real Web body, for handlers other than wharf's.)
 */
export function toWebRequest(req: IncomingMessage, signal?: AbortSignal, webBody = false): Request {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true
  const url = `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  const method = req.method ?? 'GET'
  const hasBody = !BODYLESS.has(method)
  const request: RequestWithBody = new Request(url, {
    method,
    headers,
    ...(signal ? { signal } : {}),
    ...(hasBody && webBody ? { body: req as unknown as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
  if (hasBody && !webBody) request[REQUEST_BODY] = req
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
  if (res.destroyed) {
    // The client left while the answer was being prepared: release the body's storage stream.
    await response.body?.cancel().catch(() => undefined)
    return
  }
  res.writeHead(response.status, headers)
  if (!response.body) {
    res.end()
    return
  }
  const reader = response.body.getReader()
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
 * A node:http / node:https request listener serving a registry. Bodies stream both ways with
 * backpressure. When the client goes away, a response body being written is cancelled (which stops
 * the storage read), and an upload's body stream fails (which stops the storage write). No
 * AbortSignal is wired per request: that would cost more than the rest of a small request's work.
 */
export function toNodeListener(registry: FetchHandler, options: NodeListenerOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let request: Request
    try {
      request = toWebRequest(req)
    } catch (error) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad request')
      return
    }
    registry
      .fetch(request)
      .then((response) => writeWebResponse(response, res, options.onError))
      .catch((error: unknown) => {
        options.onError?.(error)
        if (!res.headersSent) res.writeHead(500).end()
        else res.destroy()
      })
  }
}
