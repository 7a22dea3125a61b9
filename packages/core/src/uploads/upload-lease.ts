import { randomUUID } from 'node:crypto'
import { RegistryError } from '../errors/registry-error.js'
import type { Versioned } from '../stores/json-objects.js'
import type { UploadStore } from './upload-store.js'
import { isLeased, toRangeHeader, type UploadRecord } from './upload-state.js'

/** A held lease on an upload session: renewed in the background until released. */
export interface HeldLease {
  readonly record: UploadRecord
  /** Writes `next` (without the lease) by compare-and-swap and stops renewing. */
  release(next: UploadRecord): Promise<Versioned<UploadRecord>>
  /** Stops renewing without writing anything else. */
  stop(): Promise<void>
}

/**
 * Takes the lease on a loaded session record so this request alone writes to it. A session leased by
 * another live request answers 416 with the current Range, as a chunk that cannot be accepted now.
 */
export async function acquireLease(store: UploadStore, loaded: Versioned<UploadRecord>, leaseMs: number): Promise<HeldLease> {
  const owner = randomUUID()
  const conflict = (record: UploadRecord) =>
    new RegistryError('BLOB_UPLOAD_INVALID', {
      status: 416,
      message: 'another request is writing to this upload',
      headers: { Range: toRangeHeader(record.size) },
    })
  if (isLeased(loaded.value, Date.now())) throw conflict(loaded.value)
  let record: UploadRecord = { ...loaded.value, lease: { owner, until: Date.now() + leaseMs } }
  const taken = await store.save(record, loaded.etag)
  if (!taken) throw conflict(loaded.value)
  let etag = taken.etag
  let chain: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    chain = chain.then(async () => {
      const renewed: UploadRecord = { ...record, lease: { owner, until: Date.now() + leaseMs } }
      const saved = await store.save(renewed, etag).catch(() => undefined)
      if (saved) {
        etag = saved.etag
        record = renewed
      }
    })
  }, Math.max(50, Math.floor(leaseMs / 3)))
  timer.unref?.()

  const stop = async () => {
    clearInterval(timer)
    await chain
  }
  return {
    get record() {
      return record
    },
    async release(next) {
      await stop()
      const { lease: _dropped, ...rest } = next
      const saved = await store.save(rest, etag)
      if (!saved) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', { status: 416, message: 'the upload was changed by another request' })
      }
      return saved
    },
    stop,
  }
}
