import type { StorageDriver } from '../driver/storage-driver.js'
import { keys } from '../layout/key-layout.js'
import { readJson } from '../stores/json-objects.js'
import { createDriverRegistry2Files, type Registry2Files } from './registry2-files.js'
import { createRegistry2Reader, type Registry2Reader } from './registry2-reader.js'

/**
 * When wharf consults registry:2's tree for what it has no record of:
 * - `auto` (default): when a registry:2 tree is found and `migrate` has not completed on this storage;
 * - `on`: always (e.g. while registry:2 still receives pushes after a migration);
 * - `off`: never. Blob records that `migrate` wrote still read their bytes from registry:2's `data`.
 */
export type Registry2Mode = 'auto' | 'on' | 'off'

/** The `registry2` option of `createRegistry`. */
export interface Registry2Options {
  mode?: Registry2Mode
  /** How to read registry:2's files; default: the driver's `registry2Files`, else the driver itself. */
  files?: Registry2Files
}

/** What the registry found on its storage, for operators (the server logs it at start). */
export interface Registry2Status {
  mode: Registry2Mode
  /** A registry:2 tree is present under the storage root. */
  detected: boolean
  /** `migrate` completed on this storage (when, and what it wrote). */
  migration?: Registry2MigrationRecord
  /** Whether reads fall back to registry:2's tree. */
  fallback: boolean
}

/** `migrations/registry2`: the checkpoint a running migration keeps and the summary it leaves. */
export interface Registry2MigrationRecord {
  state: 'running' | 'done'
  startedAt: string
  finishedAt?: string
  /** Whether every blob has its record (blobs are migrated first). */
  blobsDone?: boolean
  /** The last repository whose records are all written (repositories go in byte order). */
  lastRepository?: string
  written?: number
}

export interface Registry2Source {
  files: Registry2Files
  reader: Registry2Reader
  /** The reader while the fallback is on; decided once, on first use. */
  fallback(): Promise<Registry2Reader | undefined>
  status(): Promise<Registry2Status>
}

export function toRegistry2Files(storage: StorageDriver, options?: Registry2Options): Registry2Files {
  return options?.files ?? storage.registry2Files ?? createDriverRegistry2Files(storage)
}

export function createRegistry2Source(storage: StorageDriver, options: Registry2Options = {}): Registry2Source {
  const mode = options.mode ?? 'auto'
  const files = toRegistry2Files(storage, options)
  const reader = createRegistry2Reader(files)
  let decided: Promise<Registry2Status> | undefined

  async function inspect(): Promise<Registry2Status> {
    const [detected, record] = await Promise.all([reader.detect(), readJson<Registry2MigrationRecord>(storage, keys.registry2Migration())])
    const migration = record?.value
    const fallback = mode === 'on' || (mode === 'auto' && detected && migration?.state !== 'done')
    return { mode, detected, fallback, ...(migration ? { migration } : {}) }
  }

  function status(): Promise<Registry2Status> {
    // A failed look (storage down at start) is not remembered: the next request looks again.
    decided ??= inspect().catch((error: unknown) => {
      decided = undefined
      throw error
    })
    return decided
  }

  return {
    files,
    reader,
    status,
    async fallback() {
      if (mode === 'off') return undefined
      return (await status()).fallback ? reader : undefined
    },
  }
}
