/**
 * Where a request's body is read from.
 *
 * Normally `request.body`, a Web ReadableStream. An adapter that already holds the body as an async
 * iterable of byte chunks (a Node `IncomingMessage`) may attach it under {@link REQUEST_BODY} instead,
 * and create the `Request` without a body: the registry then reads the Node stream directly, which
 * saves wrapping every chunk of a multi-GiB push in a Web stream. Backpressure is the same either way:
 * a chunk is pulled only when the storage driver asks for the next one.
 */
export const REQUEST_BODY: unique symbol = Symbol.for('wharf.requestBody')

/** A request that may carry its body as an async iterable under {@link REQUEST_BODY}. */
export interface RequestWithBody {
  readonly body?: ReadableStream<Uint8Array> | null
  [REQUEST_BODY]?: AsyncIterable<Uint8Array>
}

/** The body of `request` as byte chunks, or `null` when it has none. */
export function toBodyChunks(request: RequestWithBody): AsyncIterable<Uint8Array> | null {
  const attached = request[REQUEST_BODY]
  if (attached) return attached
  return (request.body ?? null) as unknown as AsyncIterable<Uint8Array> | null
}
