/**
 * Passes a request body on only while the request's lease is safe. When `signal` aborts (the lease
 * was lost, or could not be renewed in time), the pending read rejects with the signal's reason at
 * once, even if the client has stopped sending, so the driver's append fails and writes nothing more
 * before another request may take the lease over. When the body itself fails (the client went away),
 * `onBodyError` runs first so a new request of this realm can wait for this one to unwind rather
 * than be refused. A Node stream body (what the node:http adapter passes) is also watched for
 * closing unfinished, which happens when the socket dies even while the driver is busy writing and
 * not reading: a resuming client's next request then never finds this one looking alive.
 */
export function guardBody(
  body: AsyncIterable<Uint8Array> | null,
  signal: AbortSignal,
  onBodyError: () => void,
): AsyncIterable<Uint8Array> | null {
  if (body === null) return null
  watchNodeStream(body, onBodyError)
  return {
    [Symbol.asyncIterator]() {
      const source = body[Symbol.asyncIterator]()
      // One listener for the whole body rather than one per chunk.
      let rejectPending: ((reason: unknown) => void) | undefined
      const onAbort = () => rejectPending?.(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      const cleanup = () => signal.removeEventListener('abort', onAbort)
      return {
        next(): Promise<IteratorResult<Uint8Array>> {
          if (signal.aborted) {
            cleanup()
            return Promise.reject(signal.reason)
          }
          return new Promise((resolve, reject) => {
            rejectPending = reject
            source.next().then(
              (step) => {
                rejectPending = undefined
                if (step.done) cleanup()
                resolve(step)
              },
              (error: unknown) => {
                rejectPending = undefined
                cleanup()
                onBodyError()
                reject(error)
              },
            )
          })
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          cleanup()
          await source.return?.()
          return { done: true, value: undefined }
        },
      }
    },
  }
}

interface NodeStreamLike {
  once(event: 'close', listener: () => void): unknown
  readonly readableEnded: boolean
}

function watchNodeStream(body: object, onBodyError: () => void): void {
  const stream = body as Partial<NodeStreamLike>
  if (typeof stream.once !== 'function' || typeof stream.readableEnded !== 'boolean') return
  stream.once('close', () => {
    if (!stream.readableEnded) onBodyError()
  })
}
