import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'

let loaded: typeof Yaml | undefined

/**
 * The `yaml` package, loaded on first use: a server started from environment variables alone never
 * needs it, and every module kept out of the heap at start makes V8 size the heap more generously
 * (fewer full collections while streaming blobs).
 */
export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml
  return loaded
}
