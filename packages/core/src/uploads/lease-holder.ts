import { randomUUID } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * Who holds an upload lease, precisely enough for another process to prove the holder is gone.
 *
 * - `host`: the hostname plus, on Linux, the PID namespace (two containers sharing a hostname but
 *   not their PIDs must not test each other's PIDs).
 * - `pid` and `start`: the process, and its start time in clock ticks since boot (Linux
 *   `/proc/<pid>/stat`), so a reused PID is told apart from the holder. `start` is absent where
 *   it cannot be read.
 * - `realm`: a random id shared by every copy of this module in one JavaScript realm (a Node
 *   process's main thread, or one worker thread), so a second bundled copy of core in the same
 *   realm agrees on which leases are its own.
 */
export interface LeaseHolder {
  host: string
  pid: number
  start?: string
  realm: string
}

/** What a process can prove about the holder of a lease it finds. */
export type HolderLiveness =
  /** The holding process no longer exists on this host: its lease binds nobody. */
  | 'gone'
  /** The holder is this realm: the local registry of live leases decides. */
  | 'this-realm'
  /** Alive, or not provably gone (another host, or not enough information): honour the expiry. */
  | 'unknown'

function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}

/** Field 22 of `/proc/<pid>/stat` (after the parenthesised command name, which may hold spaces). */
function processStart(pid: number | 'self'): string | undefined {
  const stat = readOrUndefined(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  if (stat === undefined) return undefined
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields[19]
}

const REALM_KEY = Symbol.for('wharf.uploads.lease-realm')

function computeSelf(): LeaseHolder {
  const global = globalThis as { [REALM_KEY]?: string }
  global[REALM_KEY] ??= randomUUID()
  const namespace = readOrUndefined(() => readlinkSync('/proc/self/ns/pid'))
  const start = processStart('self')
  return {
    host: namespace ? `${hostname()}|${namespace}` : hostname(),
    pid: process.pid,
    ...(start === undefined ? {} : { start }),
    realm: global[REALM_KEY],
  }
}

let self: LeaseHolder | undefined

/** This realm's identity as a lease holder. */
export function thisHolder(): LeaseHolder {
  self ??= computeSelf()
  return self
}

/** True when no process with `pid` exists on this host (EPERM means it exists, owned by someone else). */
function pidIsFree(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Judges the holder of a lease found on a session record. `gone` only on proof: same host (and PID
 * namespace), and either no process has that PID, or the process with that PID started at another
 * time than the holder did (the PID was reused). Anything else, including a malformed holder written
 * by another version, is `unknown`, so the lease is honoured until it expires.
 */
export function judgeHolder(holder: unknown): HolderLiveness {
  if (!isLeaseHolder(holder)) return 'unknown'
  const me = thisHolder()
  if (holder.host !== me.host) return 'unknown'
  if (holder.pid === me.pid) {
    if (holder.start !== undefined && me.start !== undefined && holder.start !== me.start) return 'gone'
    // The same process: another realm (a worker thread) is alive as long as we are.
    return holder.realm === me.realm ? 'this-realm' : 'unknown'
  }
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return 'unknown'
  if (pidIsFree(holder.pid)) return 'gone'
  const start = holder.start === undefined ? undefined : processStart(holder.pid)
  // The PID may have exited between the two checks; `undefined` then proves nothing more.
  return start !== undefined && start !== holder.start ? 'gone' : 'unknown'
}

function isLeaseHolder(value: unknown): value is LeaseHolder {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.host === 'string' &&
    typeof v.pid === 'number' &&
    typeof v.realm === 'string' &&
    (v.start === undefined || typeof v.start === 'string')
  )
}
