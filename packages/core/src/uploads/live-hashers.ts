import { createHash, type Hash } from 'node:crypto'

/** A running sha256 of an upload's first `size` bytes, held by the process that received them. */
export interface LiveHasher {
  hash: Hash
  size: number
}

/**
 * In-memory hashers of the uploads this process is receiving. Node cannot serialize a hash's state,
 * so a hasher is useful only while this process keeps receiving the upload's chunks in order; a
 * hasher whose size differs from the session's means someone else appended, and it is dropped.
 * Bounded: the oldest are evicted first (an evicted upload is verified by reading its bytes once).
 */
export interface LiveHashers {
  /** The hasher for `id` if it covers exactly `size` bytes; a fresh one when `size` is 0. */
  take(id: string, size: number): LiveHasher | undefined
  keep(id: string, hasher: LiveHasher): void
  drop(id: string): void
}

export function createLiveHashers(max = 10_000): LiveHashers {
  const hashers = new Map<string, LiveHasher>()
  return {
    take(id, size) {
      const live = hashers.get(id)
      hashers.delete(id)
      if (live && live.size === size) return live
      return size === 0 ? { hash: createHash('sha256'), size: 0 } : undefined
    },
    keep(id, hasher) {
      hashers.delete(id)
      if (hashers.size >= max) hashers.delete(hashers.keys().next().value as string)
      hashers.set(id, hasher)
    },
    drop(id) {
      hashers.delete(id)
    },
  }
}
