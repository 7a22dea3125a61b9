import { resolve } from 'node:path'
import type { StorageDriver } from '@wharf/core'
import { deleteObject, deletePrefix } from './delete-objects.js'
import { listKeys } from './list-keys.js'
import { putObject } from './put-object.js'
import { getObject, readObject, statObject } from './read-object.js'
import { abortWrite, appendWrite, finishWrite, startWrite } from './resumable-write.js'
import { sweepLeftovers, type SweepOptions } from './sweep.js'
import { createFsRegistry2Files } from './registry2-files.js'
import type { FsContext } from './fs-context.js'
import { createObjectPaths } from './key-paths.js'

/** Options of {@link createFsDriver}. */
export interface FsDriverOptions {
  /** Directory holding the store; created on first write. Relative paths resolve against the cwd. */
  root: string
  /**
   * Age (ms) after which a key's lock file left by a dead process is broken. Default 5000. A lock
   * naming a still-running process on this host is trusted ten times as long.
   */
  lockStaleMs?: number
  /** How long (ms) a write waits for a key's lock before failing with `unavailable`. Default 30000. */
  lockTimeoutMs?: number
  /**
   * Run `stat` as a synchronous call on the event loop's thread instead of in libuv's thread pool.
   * Default true: on a local disk the metadata a registry stats (tags, links, revisions) is in the
   * kernel's cache and a stat takes a few microseconds, while the thread-pool round trip around it
   * costs tens (two context switches and a wake-up of the loop); a manifest GET by tag does two or
   * three. Set false on a network filesystem (NFS, SMB, FUSE), where a stat can block for
   * milliseconds and would stall every request the process is serving meanwhile.
   */
  syncStat?: boolean
}

/** The fs storage driver: the whole {@link StorageDriver} contract, plus housekeeping. */
export interface FsDriver extends StorageDriver {
  /** Absolute path of the store's root directory. */
  readonly root: string
  /**
   * Removes temp and lock files that crashed processes left behind (see `sweep.ts`); walks the
   * whole store, so call it occasionally (e.g. at start-up). Resolves to the number removed.
   */
  sweep(options?: SweepOptions): Promise<number>
}

/**
 * A storage driver on a local (or shared, POSIX-semantics) directory. Every key is a file below
 * `root` (`a/b/c` is the file `a/b/c,`, see `key-paths.ts`); all writes become visible by an atomic
 * rename or link, conditional writes hold between processes sharing the directory, and resumable
 * writes stage their bytes in `root/.writes/` so any process can continue them from the JSON state.
 */
export function createFsDriver(options: FsDriverOptions): FsDriver {
  if (typeof options?.root !== 'string' || options.root.length === 0) throw new TypeError('createFsDriver: root is required')
  const root = resolve(options.root)
  const ctx: FsContext = {
    root,
    objectPath: createObjectPaths(root),
    lock: { staleMs: options.lockStaleMs ?? 5000, timeoutMs: options.lockTimeoutMs ?? 30_000 },
    syncStat: options.syncStat ?? true,
  }
  return {
    name: 'fs',
    root: ctx.root,
    capabilities: { minChunkSize: 0, conditionalWrites: true, redirect: false },
    get: (key, opts) => getObject(ctx, key, opts),
    put: (key, body, opts) => putObject(ctx, key, body, opts),
    stat: (key, opts) => statObject(ctx, key, opts),
    read: (key, opts) => readObject(ctx, key, opts),
    list: (prefix, opts) => listKeys(ctx, prefix, opts),
    delete: (key, opts) => deleteObject(ctx, key, opts),
    deletePrefix: (prefix, opts) => deletePrefix(ctx, prefix, opts),
    startWrite: (key, opts) => startWrite(ctx, key, opts),
    appendWrite: (state, data, opts) => appendWrite(ctx, state, data, opts),
    finishWrite: (state, opts) => finishWrite(ctx, state, opts),
    abortWrite: (state, opts) => abortWrite(ctx, state, opts),
    sweep: (opts) => sweepLeftovers(ctx, opts),
    // registry:2 writes plain files (no `,` suffix) under the same root: served in place.
    registry2Files: createFsRegistry2Files(ctx.root),
  }
}
