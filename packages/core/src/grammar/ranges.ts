/**
 * The two range grammars the API uses.
 *
 * - Upload chunks: `Content-Range: <start>-<end>` (inclusive, as the distribution spec writes it; the
 *   RFC form `bytes <start>-<end>/<total|*>` is accepted too, since some clients send it).
 * - Blob reads: `Range: bytes=<start>-<end>`, `bytes=<start>-`, `bytes=-<suffix length>` (one range).
 */

/** An inclusive byte range. */
export interface ByteRange {
  start: number
  end: number
}

const CHUNK_RANGE = /^(?:bytes )?(\d{1,16})-(\d{1,16})(?:\/(\d{1,16}|\*))?$/

/** An upload chunk's range, with the complete length the client stated (`bytes a-b/<total>`), if any. */
export interface ChunkRange extends ByteRange {
  /** The stated total size of the blob; absent for `a-b` and `a-b/*`. */
  total?: number
}

/**
 * Parses an upload chunk's Content-Range; `undefined` when malformed (not one of the two forms,
 * negative, beyond Number.MAX_SAFE_INTEGER) or `end < start`. A stated total is returned, not
 * judged: whether `end` past it is acceptable is the caller's (see {@link isPastTotal}).
 */
export function toChunkRange(header: string): ChunkRange | undefined {
  const match = CHUNK_RANGE.exec(header.trim())
  if (!match) return undefined
  const start = Number(match[1])
  const end = Number(match[2])
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined
  if (match[3] === undefined || match[3] === '*') return { start, end }
  const total = Number(match[3])
  if (!Number.isSafeInteger(total)) return undefined
  return { start, end, total }
}

/**
 * True when a chunk range ends at or past the total it states (`bytes 10-19/5`): RFC 9110 calls
 * such a Content-Range invalid, and no blob of that size can hold the chunk.
 */
export function isPastTotal(range: ChunkRange): boolean {
  return range.total !== undefined && range.end >= range.total
}

/** What a read's Range header asks of an object of `size` bytes. */
export type ReadRange =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' }

const READ_RANGE = /^bytes=(\d{0,16})-(\d{0,16})$/

/**
 * Resolves a Range header against an object size. A header that does not parse (or asks for several
 * ranges) is ignored, as RFC 9110 allows, and the whole object is served.
 */
export function toReadRange(header: string | null, size: number): ReadRange {
  if (header === null) return { kind: 'whole' }
  const match = READ_RANGE.exec(header.trim())
  if (!match) return { kind: 'whole' }
  const [, first, last] = match as unknown as [string, string, string]
  if (first === '' && last === '') return { kind: 'whole' }
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (start >= size) return { kind: 'unsatisfiable' }
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (end < start) return { kind: 'whole' }
  return { kind: 'partial', start, end }
}
