import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(here, '..', '..', '..')

// The fixture imports @wharf/core by name, whose types come from its build (as a user's would).
const coreBuilt = existsSync(join(repoRoot, 'packages', 'core', 'dist', 'index.d.ts'))

it.skipIf(!coreBuilt)("is accepted by Express 5, Koa 3 and Fastify 5's own typings without casts", async () => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', join(here, 'fixtures', 'framework-types.ts')]
  const result = await promisify(execFile)(process.execPath, args, { cwd: join(here, '..') }).then(
    () => '',
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  expect(result).toBe('')
}, 120_000)
