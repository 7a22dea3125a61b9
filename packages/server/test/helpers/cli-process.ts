import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url))
const WORKSPACE = join(PACKAGE, '../..')
export const CLI = join(PACKAGE, 'dist/cli.js')

async function newestSource(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs)
  }
  return newest
}

/**
 * The path of the built CLI, building the server first when dist/cli.js is missing or older than
 * a source file (and its workspace dependencies too when one of their dist folders is missing).
 */
export async function ensureCliBuilt(): Promise<string> {
  const built = await stat(CLI).then((s) => s.mtimeMs, () => 0)
  if (built > (await newestSource(join(PACKAGE, 'src')))) return CLI
  const depsBuilt = await Promise.all(['core', 'storage-fs', 'storage-s3', 'storage-azure', 'http-adapter', 'auth'].map((p) => stat(join(WORKSPACE, 'packages', p, 'dist/index.js')).then(() => true, () => false)))
  const filter = depsBuilt.every(Boolean) ? '@wharf/server' : '@wharf/server...'
  await promisify(execFile)('pnpm', ['--filter', filter, 'build'], { cwd: WORKSPACE, timeout: 300_000 })
  return CLI
}

/** A running `node dist/cli.js`. */
export interface CliProcess {
  child: ChildProcess
  /** stdout and stderr lines so far. */
  lines: string[]
  /** JSON log lines so far. */
  entries(): Record<string, unknown>[]
  /** Resolves with the URL once "wharf registry listening" is logged; rejects if it exits first. */
  listening(ms?: number): Promise<string>
  /** Resolves when the process has exited, with when (performance.now()) and how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  /** SIGKILLs it if still running. */
  kill(): void
}

/** Spawns the built CLI with `args`; the environment is `env` on top of this process's, minus REGISTRY_* variables. */
export function spawnCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): CliProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')))
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...options.env }, cwd: options.cwd ?? PACKAGE, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  const onLine = (line: string) => {
    lines.push(line)
    for (const waiter of waiters) waiter()
  }
  createInterface({ input: child.stdout! }).on('line', onLine)
  createInterface({ input: child.stderr! }).on('line', onLine)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  )
  const entries = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>]
      } catch {
        return []
      }
    })
  return {
    child,
    lines,
    entries,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    listening(ms = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`not listening within ${ms} ms:\n${lines.join('\n')}`)), ms)
        const check = () => {
          const entry = entries().find((e) => e['msg'] === 'wharf registry listening')
          if (entry) finish(undefined, String(entry['url']))
        }
        const finish = (error?: Error, url?: string) => {
          clearTimeout(timer)
          waiters.delete(check)
          if (error) reject(error)
          else resolve(url!)
        }
        waiters.add(check)
        void exited.then(({ code, signal }) => finish(new Error(`exited (${code ?? signal}) before listening:\n${lines.join('\n')}`)))
        check()
      })
    },
  }
}
