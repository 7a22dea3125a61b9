import type { StorageDriver } from '../driver/storage-driver.js'
import { mapLimited } from '../stores/map-limited.js'

/** Every key under `prefix`, page by page (one list call each): the collector never holds a whole listing. */
export async function* listKeys(driver: StorageDriver, prefix: string, signal?: AbortSignal): AsyncGenerator<string> {
  let startAfter: string | undefined
  for (;;) {
    signal?.throwIfAborted()
    const page = await driver.list(prefix, { limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) })
    yield* page.keys
    if (!page.truncated || page.keys.length === 0) return
    startAfter = page.keys[page.keys.length - 1]
  }
}

/** `sha256:<hex>` from a key ending in `<alg>/<hex>` (links, revisions) or `<alg>/<hh>/<hex>` (blob records). */
export function toDigestString(key: string, skip = 0): string {
  const parts = key.split('/')
  const hex = parts[parts.length - 1]!
  const algorithm = parts[parts.length - 2 - skip]!
  return `${algorithm}:${hex}`
}

/** How many storage calls a collection runs at once (reads, and the compare-and-swaps of a sweep). */
export const GC_CONCURRENCY = 16

/**
 * Runs `fn` on every key of `keys`, `GC_CONCURRENCY` at a time, a page of keys at a time: parallel
 * enough that a sweep is not one round trip (and one fsync) after another, bounded in memory.
 */
export async function forEachKey(keys: AsyncIterable<string>, fn: (key: string) => Promise<void>): Promise<void> {
  let batch: string[] = []
  for await (const key of keys) {
    batch.push(key)
    if (batch.length === 256) {
      await mapLimited(batch, GC_CONCURRENCY, fn)
      batch = []
    }
  }
  await mapLimited(batch, GC_CONCURRENCY, fn)
}
