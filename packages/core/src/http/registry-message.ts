import { REQUEST_BODY } from './request-body.js'

/**
 * The parts of a request the registry reads. A Web `Request` is one; an adapter may pass a lighter
 * object over its framework's request (see `Registry.handle`), which saves building a `Request`, its
 * `Headers` and its `AbortSignal` for every small request.
 */
export interface RegistryRequest {
  readonly method: string
  /** Absolute URL (scheme, host, path and query). */
  readonly url: string
  readonly headers: HeaderReader
  /** Aborts when the client goes away; optional for adapters that stop storage I/O another way. */
  readonly signal?: AbortSignal
  /** The body as a Web stream, or `null`/absent; see also {@link REQUEST_BODY}. */
  readonly body?: ReadableStream<Uint8Array> | null
  readonly [REQUEST_BODY]?: AsyncIterable<Uint8Array>
}

/** Case-insensitive header lookup, as `Headers` offers it. */
export interface HeaderReader {
  get(name: string): string | null
  has(name: string): boolean
}

/** What the registry answers: status, headers and a body of bytes or a stream (or none). */
export interface RegistryResponse {
  status: number
  headers: Record<string, string>
  body: Uint8Array | ReadableStream<Uint8Array> | null
}

/** The Web `Response` for a registry answer. */
export function toWebResponse(response: RegistryResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers })
}
