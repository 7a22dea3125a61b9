import type { ReadOptions, StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'

/**
 * Read-only access to registry:2's files (see `registry2-layout.ts`) by their own paths, which are
 * not wharf keys: on a filesystem registry:2 writes plain files (`.../data`), while wharf's fs driver
 * stores key `k` as the file `k,`. On S3 and Azure an object's name is its path, so the driver itself
 * can serve them ({@link createDriverRegistry2Files}); the fs package provides its own.
 */
export interface Registry2Files {
  /** The whole (small) file, `undefined` when it does not exist. */
  get(path: string): Promise<Uint8Array | undefined>
  /** The file's size, `undefined` when it does not exist. */
  size(path: string): Promise<number | undefined>
  /** Streams the file or a range of it; throws a `not-found` DriverError when it does not exist. */
  read(path: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>
  /**
   * Names of the entries directly inside directory `dir` (files and subdirectories), streamed,
   * each once, in no promised order. Nothing when `dir` does not exist.
   */
  children(dir: string): AsyncIterable<string>
  /**
   * When the file was last written, `undefined` when it does not exist. The garbage collector's grace
   * period for registry:2's files is measured from it (absent: registry:2's files are never removed).
   */
  modified?(path: string): Promise<Date | undefined>
  /**
   * Removes a file or a whole directory (every file below it), then the directories this left
   * empty. A missing path is not an error. Only the garbage collector calls it, and only after
   * takeover, when registry:2 no longer writes (layout/garbage-collection.md).
   */
  remove?(path: string): Promise<void>
}

/** Sorts after every character of a key (`z` is the largest in the key alphabet). */
const PAST_DIRECTORY = '~'
const PAGE = 1000

/**
 * Registry:2 files through a driver whose keys are object names (S3, Azure, memory). Directories
 * are key prefixes. `children` uses the driver's delimiter listing (`listChildren`) when it has
 * one: a directory of N entries costs N / 1000 list calls. Otherwise it pages through the keys and
 * skips the rest of each subdirectory with a start-after cursor (`dir/child/~`): N entries of k keys
 * cost about min(N, N * k / 1000) calls. registry:2's blob and link directories hold one key each,
 * so there both are cheap; directories of large subtrees (repositories) are where it differs.
 */
export function createDriverRegistry2Files(driver: StorageDriver): Registry2Files {
  const listChildren = driver.listChildren?.bind(driver)
  return {
    async get(path) {
      try {
        return (await driver.get(path)).body
      } catch (error) {
        if (isDriverError(error, 'not-found')) return undefined
        throw error
      }
    },
    async size(path) {
      return (await driver.stat(path))?.size
    },
    read: (path, options) => driver.read(path, options),
    async modified(path) {
      return (await driver.stat(path))?.modified
    },
    async remove(path) {
      await driver.delete(path)
      await driver.deletePrefix(`${path}/`)
    },
    async *children(dir) {
      const prefix = `${dir}/`
      if (listChildren) {
        let previous: string | undefined
        for await (const entry of listChildren(prefix)) {
          const child = entry.endsWith('/') ? entry.slice(0, -1) : entry
          // registry:2 never has a file and a directory of one name; if a store has, report it once when adjacent.
          if (child === previous) continue
          previous = child
          yield child
        }
        return
      }
      let startAfter: string | undefined
      let previous: string | undefined
      for (;;) {
        const page = await driver.list(prefix, { limit: PAGE, ...(startAfter === undefined ? {} : { startAfter }) })
        let lastIsDirectory = false
        for (const key of page.keys) {
          const rest = key.slice(prefix.length)
          const cut = rest.indexOf('/')
          const child = cut < 0 ? rest : rest.slice(0, cut)
          lastIsDirectory = cut >= 0
          if (child === previous) continue
          previous = child
          yield child
        }
        if (!page.truncated || page.keys.length === 0) return
        // Jump over the rest of the last child's subtree: its siblings all sort after `child/~`.
        startAfter = lastIsDirectory ? `${prefix}${previous}/${PAST_DIRECTORY}` : page.keys[page.keys.length - 1]
      }
    },
  }
}

/** Collects an async iterable (for directories that are small by nature, such as one repository's tags). */
export async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}
