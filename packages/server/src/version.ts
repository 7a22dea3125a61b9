import { readFileSync } from 'node:fs'

let version: string | undefined

/** This package's version (from its package.json, one level above src/ and dist/), or `unknown`. */
export function readVersion(): string {
  if (version !== undefined) return version
  try {
    version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    version = 'unknown'
  }
  return version
}
