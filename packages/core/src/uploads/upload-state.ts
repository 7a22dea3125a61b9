/**
 * The upload session state machine.
 *
 * ```
 *            POST                PATCH (chunk at offset = size)
 *   (none) ───────▶ open ◀──────────────────┐
 *                    │ │ └──────────────────┘
 *   PUT ?digest= ok  │ │ DELETE, or a digest/size mismatch at PUT
 *                    ▼ ▼
 *            committed  cancelled        open ──(older than the purge age, no lease)──▶ expired
 * ```
 *
 * The record lives in storage (`uploads/<id>`) and is changed only by compare-and-swap, so any process
 * sharing the storage can continue a session, and a restart loses no acknowledged chunk. A request
 * that writes bytes first takes a short *lease* on the record (renewed while the bytes stream), so two
 * requests never append to one session at once and a purge never removes a session that is receiving
 * data. Terminal states delete the record: a later request for the session gets BLOB_UPLOAD_UNKNOWN.
 */
import type { WriteState } from '../driver/storage-driver.js'
import type { LeaseHolder } from './lease-holder.js'

export type UploadState = 'open' | 'committed' | 'cancelled' | 'expired'

/** What is stored for an open session. */
export interface UploadRecord {
  id: string
  repository: string
  state: 'open'
  /** Bytes acknowledged so far (equals `write.size`). */
  size: number
  /** The driver's resumable-write state. */
  write: WriteState
  /**
   * The sha256 of the first `hashed.size` bytes, stored after every request so that a PUT handled by a
   * process without the live hasher need not read the bytes again (when `hashed.size === size`).
   */
  hashed?: { size: number; sha256: string }
  /** Epoch milliseconds. */
  createdAt: number
  updatedAt: number
  /**
   * Held while a request writes bytes; `until` is epoch milliseconds. `holder` (absent on records of
   * older versions and on purge claims) lets another process prove the holder gone: see upload-lease.ts.
   */
  lease?: { owner: string; until: number; holder?: LeaseHolder }
}

/** The transitions the state machine allows; anything else is a bug in the caller. */
const TRANSITIONS: Record<UploadState, readonly UploadState[]> = {
  open: ['open', 'committed', 'cancelled', 'expired'],
  committed: [],
  cancelled: [],
  expired: [],
}

/** True when a session may move from `from` to `to`. */
export function canTransition(from: UploadState, to: UploadState): boolean {
  return TRANSITIONS[from].includes(to)
}

/** True when another request currently holds the session's lease. */
export function isLeased(record: UploadRecord, now: number, owner?: string): boolean {
  return record.lease !== undefined && record.lease.until > now && record.lease.owner !== owner
}

/** True when an open session is old enough to be purged and nobody is writing to it. */
export function isExpired(record: UploadRecord, now: number, maxAgeMs: number): boolean {
  return now - record.updatedAt > maxAgeMs && !isLeased(record, now)
}

/** The `Range` header value for a session of `size` bytes (`0-0` for an empty session, as clients expect). */
export function toRangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`
}
