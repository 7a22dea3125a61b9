import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../../../server/test/interop/helpers/commands.js'

const WORKSPACE = fileURLToPath(new URL('../../../../', import.meta.url))
const SCRIPT = fileURLToPath(new URL('../fixtures/registry-process.mjs', import.meta.url))

/** The packages the child script imports from their dist folders, in build order. */
const BUILT = ['core', 'http-adapter', 'storage-azure'] as const

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
 * Builds core, http-adapter and storage-azure when their dist is missing or older than their
 * sources, so the child processes run the code under test rather than an old build. Packages that
 * are up to date are left alone (tsup empties dist while it builds, which other test runs may read).
 */
export async function ensureBuilt(): Promise<void> {
  const stale: string[] = []
  for (const pkg of BUILT) if (await isStale(pkg)) stale.push(pkg)
  if (stale.length === 0) return
  const filters = stale.flatMap((pkg) => ['--filter', `@wharf/${pkg}`])
  await runCommand('pnpm', [...filters, 'build'], { cwd: WORKSPACE, timeoutMs: 180_000 })
}

/** Where a registry process keeps its objects. */
export interface AzureRegistryConfig {
  endpoint: string
  accountName: string
  accountKey: string
  container: string
  prefix?: string
}

/** One registry process (test/fixtures/registry-process.mjs) on Azure Blob. */
export interface AzureRegistryProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string
  pid: number
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** What it printed on stderr lately (unexpected errors), for failure messages. */
  logTail(): string
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Spawns a registry process on `config` and resolves once it listens (it prints its URL). Fails
 * after 20 s, or at once if the process exits first, with what it printed.
 */
export async function startAzureRegistryProcess(config: AzureRegistryConfig): Promise<AzureRegistryProcess> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, WHARF_AZURE_REGISTRY: JSON.stringify(config), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const remember = (line: string) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
  }
  // Keep draining both pipes for the process's whole life, so it never blocks on a full pipe.
  createInterface({ input: child.stderr! }).on('line', remember)
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`registry process ${why}:\n${lines.join('\n')}`))
    }
    const timer = setTimeout(() => fail('did not listen within 20 s'), 20_000)
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal}) before listening`)
    child.once('exit', onExit)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const said = JSON.parse(line) as { listening?: string }
        if (said.listening) {
          clearTimeout(timer)
          child.off('exit', onExit)
          resolve(said.listening)
          return
        }
      } catch {
        // Not our line; kept for failure messages.
      }
      remember(line)
    })
  })
  return {
    url,
    pid: child.pid!,
    async stop(signal = 'SIGTERM') {
      if (hasExited(child)) return
      child.kill(signal)
      if (await exited(child, 10_000)) return
      child.kill('SIGKILL')
      await exited(child, 5_000)
    },
    logTail: () => lines.join('\n'),
  }
}
