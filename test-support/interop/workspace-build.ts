import { access, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from './commands.js'

/** The workspace root (this file is test-support/interop/workspace-build.ts). */
const WORKSPACE = fileURLToPath(new URL('../../', import.meta.url))
const CLI = join(WORKSPACE, 'packages/server/dist/cli.js')

/**
 * Resolves with the path of the standalone server's dist/cli.js, building the server and its
 * workspace dependencies first when it is missing (a fresh clone where only vitest was run).
 */
export async function ensureServerBuilt(): Promise<string> {
  const built = await access(CLI).then(() => true, () => false)
  if (!built) await runCommand('pnpm', ['--filter', '@wharf/server...', 'build'], { cwd: WORKSPACE, timeoutMs: 180_000 })
  return CLI
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

async function isStale(pkg: string): Promise<boolean> {
  const built = await stat(join(WORKSPACE, 'packages', pkg, 'dist', 'index.js')).then((s) => s.mtimeMs, () => 0)
  return built === 0 || (await newestMtime(join(WORKSPACE, 'packages', pkg, 'src'))) > built
}

/**
 * Builds those of `packages` (folder names under packages/, e.g. `core`) whose dist is missing or
 * older than their sources, so child processes importing dist run the code under test. Up-to-date
 * packages are left alone: tsup empties dist while it builds, and other test runs may be reading it.
 */
export async function ensureBuilt(packages: readonly string[]): Promise<void> {
  const stale: string[] = []
  for (const pkg of packages) if (await isStale(pkg)) stale.push(pkg)
  if (stale.length === 0) return
  await runCommand('pnpm', [...stale.flatMap((pkg) => ['--filter', `@wharf/${pkg}`]), 'build'], { cwd: WORKSPACE, timeoutMs: 180_000 })
}
