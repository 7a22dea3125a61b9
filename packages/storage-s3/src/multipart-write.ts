import { randomBytes } from 'node:crypto'
import { DriverError, isDriverError, type WriteState } from '@wharf/core'
import { MAX_PARTS, minEndingPartSize, planPartSize } from './part-plan.js'
import type { S3Bucket } from './s3-bucket.js'
import { toS3WriteState, toTailPrefix, type PartRecord, type S3WriteState, type TailRecord } from './write-state.js'

/**
 * Resumable writes on S3 multipart uploads, with state that any process can continue.
 *
 * An append streams its data into part-sized buffers and uploads each as soon as it is full (while
 * the next one fills, so memory is about two parts). What is left at the end becomes a part too if
 * it is big enough (see `minEndingPartSize`), else a "tail" object that the next append reads back
 * and prepends. Part numbers follow from the state, so an append replayed from an older state
 * uploads the same part numbers again and overwrites whatever an abandoned append left; parts that
 * the state does not list are dropped by S3 at completion. Tails get unique keys, so a late writer
 * can never change the tail a state points to.
 *
 * Finishing completes the upload: S3 joins the parts in place, so the time does not grow with the
 * size (no copy). A write with no full part (under ~5 MiB) is finished with one PutObject instead.
 */
export interface MultipartWrites {
  start(key: string, signal?: AbortSignal): Promise<S3WriteState>
  append(state: WriteState, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<S3WriteState>
  finish(state: WriteState, signal?: AbortSignal): Promise<void>
  abort(state: WriteState, signal?: AbortSignal): Promise<void>
}

/** Creates the resumable-write operations over `bucket`, with parts planned from `partSize`. */
export function createMultipartWrites(bucket: S3Bucket, partSize: number): MultipartWrites {
  const readTail = async (tail: TailRecord, signal?: AbortSignal): Promise<Uint8Array> => {
    try {
      const { body } = await bucket.getObject(tail.key, { ifMatch: tail.etag, ...(signal ? { signal } : {}) })
      if (body.length !== tail.size) throw new DriverError('not-found', `s3 write tail ${tail.key} has changed`, { driver: 's3' })
      return body
    } catch (error) {
      // Gone or replaced: the state is older than the write (someone appended from a newer one).
      if (isDriverError(error, 'precondition-failed')) {
        throw new DriverError('not-found', `s3 write tail ${tail.key} has changed`, { cause: error, driver: 's3' })
      }
      throw error
    }
  }

  const cleanUpTails = async (key: string, signal?: AbortSignal) => {
    await bucket.deletePrefix(toTailPrefix(key), signal)
  }

  return {
    async start(key, signal) {
      const uploadId = await bucket.createUpload(key, signal)
      return { key, size: 0, uploadId, parts: [] }
    },

    async append(raw, data, signal) {
      const state = toS3WriteState(raw)
      const parts: PartRecord[] = [...state.parts]
      let size = state.size - (state.tail?.size ?? 0)
      let nextPart = parts.length + 1
      let buffer: Buffer | undefined
      let filled = 0
      let uploading: Promise<void> | undefined
      let uploadError: unknown
      let received = false

      const checkAbort = () => {
        if (signal?.aborted) throw new DriverError('unavailable', `s3 append ${state.key}: aborted`, { cause: signal.reason, driver: 's3' })
      }
      const settle = async () => {
        if (uploading) await uploading
        uploading = undefined
        if (uploadError !== undefined) throw uploadError
      }
      // Two part buffers take turns (one uploading, one filling), so memory stays flat and the GC
      // has no garbage part buffers to catch up with.
      let spare: Buffer | undefined
      const takeBuffer = (size: number) => {
        const reused = spare?.length === size ? spare : undefined
        spare = undefined
        return reused ?? Buffer.allocUnsafe(size)
      }
      // Uploads the full buffer as the next part, after the previous part has made it.
      const flushBuffer = async () => {
        if (!buffer) return
        await settle()
        const n = nextPart++
        const body = buffer
        buffer = undefined
        filled = 0
        uploading = bucket.uploadPart(state.key, state.uploadId, n, body, signal).then(
          (part) => {
            parts.push(part)
            spare = body
          },
          (error: unknown) => void (uploadError = error),
        )
      }
      const push = async (chunk: Uint8Array) => {
        let at = 0
        while (at < chunk.length) {
          if (uploadError !== undefined) await settle()
          if (!buffer) buffer = takeBuffer(planPartSize(nextPart, partSize))
          const take = Math.min(chunk.length - at, buffer.length - filled)
          buffer.set(chunk.subarray(at, at + take), filled)
          filled += take
          at += take
          size += take
          if (filled === buffer.length) {
            // The last part number is kept for the final remainder, which may come at finish.
            if (nextPart >= MAX_PARTS) throw new DriverError('invalid', `s3 append ${state.key}: larger than the most this driver can store`, { driver: 's3' })
            await flushBuffer()
          }
        }
      }

      try {
        for await (const chunk of data) {
          checkAbort()
          if (chunk.length === 0) continue
          if (!received) {
            received = true
            if (state.tail) await push(await readTail(state.tail, signal))
          }
          await push(chunk)
        }
        await settle()
      } catch (error) {
        // Never leave an upload running behind a failed append (its result would go nowhere).
        await uploading?.catch(() => {})
        throw error
      }

      if (!received) return state // nothing appended: the state stands as it was

      let tail: TailRecord | undefined
      if (buffer && filled > 0) {
        const rest = buffer.subarray(0, filled)
        if (filled >= minEndingPartSize(nextPart, partSize) && nextPart < MAX_PARTS) {
          parts.push(await bucket.uploadPart(state.key, state.uploadId, nextPart, rest, signal))
        } else {
          // Unique key: a late, abandoned append can never overwrite the tail a state points to.
          const key = `${toTailPrefix(state.key)}${size - filled}-${randomBytes(8).toString('hex')}`
          const etag = await bucket.putObject(key, rest, signal ? { signal } : {})
          tail = { key, size: filled, etag }
        }
      }

      // Whoever appends from `state` proves that the state before it is history, and its tail too.
      if (state.previousTail) await bucket.deleteObject(state.previousTail, signal).catch(() => {})

      return {
        key: state.key,
        size,
        uploadId: state.uploadId,
        parts,
        ...(tail ? { tail } : {}),
        ...(state.tail ? { previousTail: state.tail.key } : {}),
      }
    },

    async finish(raw, signal) {
      const state = toS3WriteState(raw)
      try {
        // The upload must still exist: a write aborted meanwhile must not come back to life (and
        // radosgw answers a completion of an aborted upload with a 500, retried in vain).
        await bucket.checkUpload(state.key, state.uploadId, signal)
        if (state.parts.length === 0) {
          const body = state.tail ? await readTail(state.tail, signal) : new Uint8Array(0)
          await bucket.putObject(state.key, body, signal ? { signal } : {})
          await bucket.abortUpload(state.key, state.uploadId, signal)
        } else {
          const parts = [...state.parts]
          if (state.tail) {
            const body = await readTail(state.tail, signal)
            parts.push(await bucket.uploadPart(state.key, state.uploadId, parts.length + 1, body, signal))
          }
          await bucket.completeUpload(state.key, state.uploadId, parts, signal)
        }
      } catch (error) {
        // A finish that already succeeded once (repeated after a crash or a lost answer) finds its
        // upload or tail gone and the object in place: then it is done.
        if (!isDriverError(error, 'not-found') || (await bucket.headObject(state.key, signal))?.size !== state.size) throw error
      }
      // The object is visible now; tails left behind are only garbage, so their cleanup may fail.
      await cleanUpTails(state.key, signal).catch(() => {})
    },

    async abort(raw, signal) {
      const state = toS3WriteState(raw)
      await bucket.abortUpload(state.key, state.uploadId, signal)
      await cleanUpTails(state.key, signal)
    },
  }
}
