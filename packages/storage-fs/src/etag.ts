import type { BigIntStats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'

/**
 * The ETag of a stored file: its inode, modification time in nanoseconds and size. Cheap (one
 * stat, no hashing) and different for every write, because every write is a new file renamed or
 * linked into place (a new inode) and {@link stampModified} gives it a modification time no
 * earlier write carried.
 */
export function toEtag(stats: BigIntStats): string {
  return `"${stats.ino.toString(36)}-${stats.mtimeNs.toString(36)}-${stats.size.toString(36)}"`
}

let lastStampSeconds = 0

/**
 * Sets the file's modification time to now at microsecond precision, strictly later than any stamp
 * this process gave before. Why: the kernel's own timestamps are coarse (one clock tick, 1–10 ms),
 * and a filesystem may hand a deleted file's inode number to the next new file; without this, a
 * rewrite of the same size within one tick could reuse an older version's ETag, and a stale
 * compare-and-swap would then wrongly succeed. Returns the file's stats after stamping.
 */
export async function stampModified(handle: FileHandle): Promise<BigIntStats> {
  // performance.timeOrigin + now() has sub-millisecond resolution; Date.now() has only milliseconds.
  const now = (performance.timeOrigin + performance.now()) / 1000
  const stamp = Math.max(now, lastStampSeconds + 1e-6)
  lastStampSeconds = stamp
  await handle.utimes(stamp, stamp)
  return handle.stat({ bigint: true })
}
