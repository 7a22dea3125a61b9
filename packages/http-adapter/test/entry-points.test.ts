import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src')
const FRAMEWORKS = ['express', 'koa', 'fastify', 'hono', '@hono/node-server']

/**
 * The modules an entry point loads at run time, following its relative imports. `import type` and
 * `export type` lines are erased by the compiler, so they load nothing and are skipped.
 */
function runtimeImports(entry: string, seen = new Set<string>()): Set<string> {
  const source = readFileSync(join(SRC, entry), 'utf8')
  for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    if (match[1]) continue
    const specifier = match[2]!
    if (specifier.startsWith('./')) {
      const file = specifier.slice(2).replace(/\.js$/, '.ts')
      if (!seen.has(file)) {
        seen.add(file)
        runtimeImports(file, seen)
      }
    } else {
      seen.add(specifier)
    }
  }
  return seen
}

describe('entry points load no framework code', () => {
  for (const entry of ['index.ts', 'express.ts', 'koa.ts', 'fastify.ts']) {
    it(`${entry} imports only node built-ins, @wharf/core and its own files at run time`, () => {
      const imports = [...runtimeImports(entry)]
      expect(imports.filter((i) => FRAMEWORKS.some((f) => i === f || i.startsWith(`${f}/`)))).toEqual([])
      expect(imports.filter((i) => !i.endsWith('.ts') && !i.startsWith('node:') && i !== '@wharf/core')).toEqual([])
    })
  }

  it('exposes the fetch handler and path test from the main entry point', async () => {
    const main = await import('@wharf/http-adapter')
    expect(typeof main.toFetchHandler).toBe('function')
    expect(typeof main.isRegistryPath).toBe('function')
  })
})
