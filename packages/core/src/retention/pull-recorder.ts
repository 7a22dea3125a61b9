import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes } from '../stores/json-objects.js'

/** The stored object `pulls/<repository>`: the last pull time (epoch ms) of each manifest digest. */
interface PullRecord {
  pulls: Record<string, number>
}

/**
 * Remembers when manifests were last pulled, without a storage write per pull. A pull only updates
 * an in-memory map of (repository, digest) → last pull; `flush` (run every `flushIntervalMs`, by
 * `applyRetention` and on close) merges each repository's entries into one small object by
 * compare-and-swap, keeping the later time of each digest. N pulls therefore cost at most one
 * write per repository per flush. Several processes each flush their own view; merging by max
 * keeps the record right whatever the order. A process that dies loses at most one interval of
 * pulls, which only makes retention keep less — so the interval should be far below the shortest
 * `keepPulledWithinMs`.
 */
export interface PullRecorder {
  /** Notes a pull (no I/O). Ignored for repositories no rule remembers pulls for. */
  record(repository: string, digest: string, at?: number): void
  /** Writes every pending entry; a failed repository keeps its entries for the next flush. */
  flush(): Promise<void>
  /** Last pull time of each digest in `repository`: stored, merged with what is pending here. */
  read(repository: string): Promise<Map<string, number>>
  /** Stops the timer and flushes. */
  close(): Promise<void>
}

/** Options of {@link createPullRecorder}. */
export interface PullRecorderOptions {
  /** How long pulls in a repository must be remembered; 0: the repository is not recorded. */
  horizonMs(repository: string): number
  /** Default 60 s. */
  flushIntervalMs?: number
  now?: () => number
  /** Told about a failed timed flush (the entries are kept and retried). */
  onError?: (error: unknown) => void
}

export function createPullRecorder(driver: StorageDriver, options: PullRecorderOptions): PullRecorder {
  const now = options.now ?? Date.now
  let pending = new Map<string, Map<string, number>>()
  let timer: ReturnType<typeof setInterval> | undefined
  let flushing: Promise<void> = Promise.resolve()

  const mergeInto = (target: Map<string, Map<string, number>>, repository: string, entries: Map<string, number>) => {
    let map = target.get(repository)
    if (!map) target.set(repository, (map = new Map()))
    for (const [digest, at] of entries) if ((map.get(digest) ?? -Infinity) < at) map.set(digest, at)
  }

  /** One compare-and-swap merge of `entries` into the repository's object; entries older than the horizon are dropped. */
  async function write(repository: string, entries: Map<string, number>): Promise<void> {
    const key = keys.pullRecord(repository)
    const oldest = now() - options.horizonMs(repository)
    for (;;) {
      const found = await readJson<PullRecord>(driver, key)
      const merged: Record<string, number> = {}
      for (const [digest, at] of [...Object.entries(found?.value.pulls ?? {}), ...entries]) {
        if (at >= oldest && (merged[digest] ?? -Infinity) < at) merged[digest] = at
      }
      try {
        await driver.put(key, toJsonBytes({ pulls: merged } satisfies PullRecord), found ? { ifMatch: found.etag } : { ifNoneMatch: '*' })
        return
      } catch (error) {
        // Another process flushed meanwhile: merge with its version.
        if (!isDriverError(error, 'precondition-failed')) throw error
      }
    }
  }

  async function flushNow(): Promise<void> {
    const batch = pending
    pending = new Map()
    const failures: unknown[] = []
    for (const [repository, entries] of batch) {
      try {
        await write(repository, entries)
      } catch (error) {
        mergeInto(pending, repository, entries)
        failures.push(error)
      }
    }
    if (failures.length > 0) throw failures[0]
  }

  // Flushes run one after another, so two never merge the same entries at once.
  const flush = () => (flushing = flushing.catch(() => undefined).then(flushNow))

  return {
    record(repository, digest, at = now()) {
      if (options.horizonMs(repository) <= 0) return
      mergeInto(pending, repository, new Map([[digest, at]]))
      if (timer === undefined) {
        timer = setInterval(() => flush().catch((error) => options.onError?.(error)), options.flushIntervalMs ?? 60_000)
        timer.unref?.()
      }
    },
    flush,
    async read(repository) {
      const stored = (await readJson<PullRecord>(driver, keys.pullRecord(repository)))?.value.pulls ?? {}
      const result = new Map(Object.entries(stored))
      for (const [digest, at] of pending.get(repository) ?? []) if ((result.get(digest) ?? -Infinity) < at) result.set(digest, at)
      return result
    },
    async close() {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      await flush()
    },
  }
}
