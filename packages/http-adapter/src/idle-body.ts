import { RegistryError } from '@wharf/core'

/** What a body watch does when its client went quiet. */
export interface IdleBodyOptions {
  /** How long a read may wait for the client's next bytes. */
  idleMs: number
  /** Called once, when the wait ran out (after the read failed). */
  onIdle: () => void
}

/**
 * Wraps a request body so that a read the registry is waiting on fails when no bytes arrive for
 * `idleMs`: a client trickling a body (or stalled) cannot hold a socket and an upload lease forever.
 * The failure is a 408 `RegistryError`, thrown where the registry reads, so the registry unwinds as
 * for any failed chunk: the bytes it acknowledged stay stored, the lease is released and the upload
 * can be resumed. The clock runs only while a read is waiting, so a registry slow to ask for the next
 * chunk (storage backpressure) never counts against the client.
 *
 * After a timeout the underlying stream is left alone (not destroyed), so the error answer can still
 * be written; the caller closes the connection once it has been. A hand-written iterator, as
 * core's `meterBody`: a generator suspended per chunk costs garbage collections on large pushes.
 */
export function watchIdleBody(body: AsyncIterable<Uint8Array>, options: IdleBodyOptions): AsyncIterable<Uint8Array> {
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined }
  return withCloseWatch(body, {
    [Symbol.asyncIterator]() {
      const source = body[Symbol.asyncIterator]()
      let failure: RegistryError | undefined
      let failWaitingRead: ((error: RegistryError) => void) | undefined
      let timer: NodeJS.Timeout | undefined
      let finished = false
      const expireNow = () => {
        if (!failWaitingRead) return
        failure = new RegistryError('BLOB_UPLOAD_INVALID', {
          status: 408,
          message: `no request body bytes arrived for ${options.idleMs} ms; resume the upload from the offset its status reports`,
        })
        failWaitingRead(failure)
        failWaitingRead = undefined
        options.onIdle()
      }
      // Timers run before the event loop polls sockets: after a stall of this process (GC, a busy
      // CPU), bytes that did arrive are read first, and only a read still waiting then times out.
      const expire = () => {
        if (failWaitingRead) setImmediate(expireNow)
      }
      const finish = () => {
        finished = true
        clearTimeout(timer)
      }
      return {
        next(): Promise<IteratorResult<Uint8Array>> {
          if (failure) return Promise.reject(failure)
          if (finished) return source.next()
          // One timer per body, re-armed per read: a fresh timer per 64 KiB chunk would cost.
          if (timer) timer.refresh()
          else timer = setTimeout(expire, options.idleMs)
          return new Promise((resolve, reject) => {
            failWaitingRead = reject
            source.next().then(
              (step) => {
                failWaitingRead = undefined
                if (step.done) finish()
                resolve(step)
              },
              (error: unknown) => {
                failWaitingRead = undefined
                finish()
                reject(error)
              },
            )
          })
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          finish()
          // Returning the source destroys the request and its socket; after a timeout that would
          // cut off the error answer, so the connection is closed after the answer instead.
          if (!failure) await source.return?.()
          return done
        },
      }
    },
  })
}

/**
 * `watched` with the Node stream body's `once('close')` and `readableEnded` (when the body is one):
 * core marks an upload's writer as dying on the socket's close, even while the driver is busy
 * writing and not reading, so that the client's resuming request waits for it instead of being
 * refused. Hidden behind the watch, the close was seen only at the next read.
 */
function withCloseWatch(body: object, watched: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const stream = body as { once?: (event: 'close', listener: () => void) => unknown; readableEnded?: boolean }
  if (typeof stream.once !== 'function' || typeof stream.readableEnded !== 'boolean') return watched
  return Object.defineProperties(watched, {
    once: { value: (event: 'close', listener: () => void) => stream.once!(event, listener) },
    readableEnded: { get: () => stream.readableEnded },
  })
}
