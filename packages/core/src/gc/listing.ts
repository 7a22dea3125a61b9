import type { StorageDriver } from '../driver/storage-driver.js'

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
