import { hostname } from 'node:os'
import { lstat, open, readFile, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Stats } from 'node:fs'
import { DriverError } from '@wharf/core'
import { errorCode, isMissing } from './errors.js'
import { ensureDir } from './sync.js'

/** How {@link withKeyLock} treats a lock it cannot take. */
export interface KeyLockOptions {
  /** Age after which a lock is presumed abandoned by a dead process and broken. */
  staleMs: number
  /** How long to wait for a lock before failing with `unavailable`. */
  timeoutMs: number
  /** Create the lock's directory when it is missing (else a missing directory throws ENOENT). */
  createDir?: boolean
  signal?: AbortSignal
}

const HOST = hostname()
const LOCK_PREFIX = '.lock-'

/**
 * The lock file of the object stored at `objectPath`: a dot-file beside it, so it is never listed
 * as a key and lives (and disappears) with the object's directory.
 */
export function toLockPath(objectPath: string): string {
  return join(dirname(objectPath), LOCK_PREFIX + basename(objectPath))
}
/** A live process on this host keeps its lock this many times longer than `staleMs`. */
const LIVE_HOLDER_GRACE = 10
/**
 * A lock naming this very process that this process does not hold is an orphan (its holder lost
 * track of it, e.g. the directory was moved away and back while it was held, so the unlink missed
 * it). It is broken once this old: the floor covers the instant between creating a lock file and
 * recording it as held.
 */
const OWN_ORPHAN_AGE_MS = 1000

/**
 * The locks this process holds, as `dev:ino` of the lock file, shared by every copy of this module
 * loaded in the process (two copies must not take each other's live locks for orphans).
 */
const heldLocks: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('wharf.storage-fs.held-locks')] ??= new Set<string>()) as Set<string>
const toLockId = (info: Stats) => `${info.dev}:${info.ino}`

/**
 * Runs `task` while holding the lock file `lockPath`, which serialises writers of one key across
 * processes sharing the directory. The lock is a file created with `O_EXCL` (`wx`), holding the
 * holder's pid and host name, and removed afterwards.
 *
 * A holder that dies leaves its lock behind. Such a lock is broken once it is older than `staleMs`,
 * unless it names a process of this host that is still running: that holder is only slow, and gets
 * {@link LIVE_HOLDER_GRACE} times as long (a recycled pid must not block forever either). Breaking
 * is itself guarded by a second `wx` file, and removes the lock only if it is still the same file
 * (inode and mtime) that was judged stale, so two waiters never break a fresh lock between them.
 */
export async function withKeyLock<T>(lockPath: string, options: KeyLockOptions, task: () => Promise<T>): Promise<T> {
  const held = await acquire(lockPath, options)
  heldLocks.add(toLockId(held))
  try {
    return await task()
  } finally {
    try {
      await release(lockPath, held)
    } finally {
      heldLocks.delete(toLockId(held))
    }
  }
}

async function acquire(lockPath: string, options: KeyLockOptions): Promise<Stats> {
  const deadline = Date.now() + options.timeoutMs
  let pause = 1
  let missing = 0
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      const handle = await open(lockPath, 'wx')
      try {
        await handle.writeFile(`${process.pid} ${HOST}\n`)
        return await handle.stat()
      } catch (error) {
        // The lock is ours but unusable (e.g. a full disk): do not leave it to block others.
        await unlink(lockPath).catch(() => undefined)
        throw error
      } finally {
        await handle.close()
      }
    } catch (error) {
      if (isMissing(error) && options.createDir && ++missing < 5) {
        await ensureDir(dirname(lockPath))
        continue
      }
      if (errorCode(error) !== 'EEXIST') throw error
    }
    if (await breakIfStale(lockPath, options.staleMs)) continue
    if (Date.now() > deadline) throw new DriverError('unavailable', `lock busy: ${lockPath}`, { driver: 'fs' })
    // Critical sections last microseconds to milliseconds: poll quickly, with jitter so that
    // waiters started together do not retry in lockstep.
    await sleep(pause + Math.random() * pause, undefined, options.signal ? { signal: options.signal } : {})
    pause = Math.min(pause * 2, 32)
  }
}

async function release(lockPath: string, held: Stats): Promise<void> {
  try {
    // Remove the lock only if it is still ours: had it been (wrongly) broken and retaken, removing
    // the new holder's lock would let a third writer in.
    const now = await lstat(lockPath)
    if (now.ino === held.ino && now.mtimeMs === held.mtimeMs) await unlink(lockPath)
  } catch (error) {
    if (!isMissing(error)) throw error
  }
}

/** True when the lock is gone or was broken (retry at once); false when it is live (wait). */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let judged: Stats
  try {
    judged = await lstat(lockPath)
  } catch (error) {
    if (isMissing(error)) return true
    throw error
  }
  if (!(await isStale(lockPath, judged, staleMs))) return false

  const breakPath = join(dirname(lockPath), `.break-${basename(lockPath).slice(LOCK_PREFIX.length)}`)
  try {
    await (await open(breakPath, 'wx')).close()
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
    // Another waiter is breaking it. Its claim is itself stale if that waiter died mid-break.
    const claim = await lstat(breakPath).catch(() => undefined)
    if (claim && Date.now() - claim.mtimeMs > staleMs) await unlink(breakPath).catch(() => undefined)
    return false
  }
  try {
    const again = await lstat(lockPath).catch(() => undefined)
    if (again && again.ino === judged.ino && again.mtimeMs === judged.mtimeMs) {
      await unlink(lockPath).catch((error: unknown) => {
        if (!isMissing(error)) throw error
      })
    }
  } finally {
    await unlink(breakPath).catch(() => undefined)
  }
  return true
}

async function isStale(lockPath: string, info: Stats, staleMs: number): Promise<boolean> {
  const age = Date.now() - info.mtimeMs
  if (age <= Math.min(staleMs, OWN_ORPHAN_AGE_MS)) return false
  const content = await readFile(lockPath, 'utf8').catch(() => '')
  const [pid, host] = content.trim().split(' ')
  // This process knows for certain whether it holds a lock naming it: no age rule applies.
  if (host === HOST && Number(pid) === process.pid) return !heldLocks.has(toLockId(info))
  if (age <= staleMs) return false
  if (age > staleMs * LIVE_HOLDER_GRACE) return true
  return !(host === HOST && pid !== undefined && isRunning(Number(pid)))
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM'
  }
}
