import type { Readable } from 'node:stream'
import { DriverError } from '@wharf/core'
import { toDriverError } from './s3-errors.js'

/**
 * Wraps an S3 response body (a Node `Readable` over the HTTP socket) as a Web `ReadableStream`
 * that reads from the socket only when its consumer pulls (backpressure reaches S3 through TCP),
 * and destroys the socket when the consumer cancels or `signal` aborts, so no more bytes are
 * fetched. Failures arrive as {@link DriverError}s (`unavailable`).
 */
export function toWebStream(body: Readable, what: string, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let onAbort: (() => void) | undefined
  const release = () => {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    onAbort = undefined
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!signal) return
        onAbort = () => {
          release()
          body.destroy()
          controller.error(new DriverError('unavailable', `s3 read ${what}: aborted`, { cause: signal.reason, driver: 's3' }))
        }
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort, { once: true })
      },
      async pull(controller) {
        try {
          const next = await chunks.next()
          if (next.done) {
            release()
            controller.close()
          } else {
            const chunk = next.value
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          }
        } catch (error) {
          release()
          // After an abort the stream is already errored; erroring it again would throw.
          if (signal?.aborted) return
          controller.error(toDriverError(error, 'read', what))
        }
      },
      cancel() {
        release()
        body.destroy()
      },
    },
    // Pull one chunk at a time: the socket's own buffers are the read-ahead.
    { highWaterMark: 0 },
  )
}
