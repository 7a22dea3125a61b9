import { DriverError, type WriteState } from '@wharf/core'

/** One uploaded part of the multipart upload: its number, the ETag S3 gave it, its size. */
export interface PartRecord {
  n: number
  etag: string
  size: number
}

/**
 * The bytes after the last part (fewer than a part's worth), kept as a small object of their own
 * until the next append prepends them or the finish uploads them as the last part. S3 allows only
 * the last part of an upload to be smaller than 5 MiB, and clients append chunks of any size.
 */
export interface TailRecord {
  key: string
  size: number
  etag: string
}

/**
 * The S3 driver's resumable-write state, stored as JSON in the registry's upload session record:
 * `parts` are the acknowledged parts in order (numbers 1…n); `tail` holds the rest. `previousTail`
 * is the tail of the state this one was appended from: it may be deleted once someone appends from
 * this state, as nobody will resume from the older one any more.
 */
export interface S3WriteState extends WriteState {
  readonly uploadId: string
  readonly parts: readonly PartRecord[]
  readonly tail?: TailRecord
  readonly previousTail?: string
}

/** Where the tails of the write to `key` live; `~` appears in no registry key, so nothing collides. */
export function toTailPrefix(key: string): string {
  return `${key}~tail/`
}

/**
 * Checks that `state` is a state this driver produced (it comes back through JSON, from storage),
 * and that it is consistent: parts numbered from 1, sizes adding up, tails under the write's own
 * tail prefix (so a forged state cannot make the driver read or delete other keys).
 * Throws `invalid` otherwise.
 */
export function toS3WriteState(state: WriteState): S3WriteState {
  const s = state as Partial<S3WriteState>
  const bad = (why: string) => new DriverError('invalid', `s3 write state: ${why}`, { driver: 's3' })
  if (typeof s.key !== 'string' || s.key === '') throw bad('no key')
  if (!isSize(s.size)) throw bad('no size')
  if (typeof s.uploadId !== 'string' || s.uploadId === '') throw bad('no uploadId')
  if (!Array.isArray(s.parts)) throw bad('no parts')
  const tails = toTailPrefix(s.key)
  let total = 0
  s.parts.forEach((p: Partial<PartRecord>, i) => {
    if (p?.n !== i + 1 || typeof p.etag !== 'string' || !isSize(p.size)) throw bad(`part ${i + 1} malformed`)
    total += p.size
  })
  if (s.tail !== undefined) {
    const t = s.tail as Partial<TailRecord>
    if (typeof t.key !== 'string' || !t.key.startsWith(tails) || !isSize(t.size) || typeof t.etag !== 'string') {
      throw bad('tail malformed')
    }
    total += t.size
  }
  if (s.previousTail !== undefined && (typeof s.previousTail !== 'string' || !s.previousTail.startsWith(tails))) {
    throw bad('previousTail malformed')
  }
  if (total !== s.size) throw bad(`parts and tail hold ${total} bytes, size says ${s.size}`)
  return s as S3WriteState
}

function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
