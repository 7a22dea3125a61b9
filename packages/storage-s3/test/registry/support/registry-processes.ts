import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../../../../server/test/interop/helpers/commands.js'

const WORKSPACE = fileURLToPath(new URL('../../../../../', import.meta.url))
const SCRIPT = fileURLToPath(new URL('../../fixtures/registry-process.mjs', import.meta.url))

/** What test/fixtures/registry-process.mjs imports from dist folders. */
const BUILT = ['core', 'http-adapter', 'storage-s3'] as const

async function newestSource(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

async function isStale(pkg: string): Promise<boolean> {
  const built = await stat(join(WORKSPACE, 'packages', pkg, 'dist', 'index.js')).then((s) => s.mtimeMs, () => 0)
  return built === 0 || (await newestSource(join(WORKSPACE, 'packages', pkg, 'src'))) > built
}

/**
 * Builds the packages the child script imports when their dist is missing or older than their
 * sources, so the processes run the code under test. Up-to-date packages are left alone: tsup empties
 * dist while it builds, and other test runs may be reading it.
 */
export async function ensureBuilt(): Promise<void> {
  const stale: string[] = []
  for (const pkg of BUILT) if (await isStale(pkg)) stale.push(pkg)
  if (stale.length === 0) return
  await runCommand('pnpm', [...stale.flatMap((pkg) => ['--filter', `@wharf/${pkg}`]), 'build'], { cwd: WORKSPACE, timeoutMs: 180_000 })
}

/** Where a registry process keeps its objects (the WHARF_S3_REGISTRY of the child script). */
export interface S3RegistryConfig {
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  prefix?: string
}

/** One registry process (test/fixtures/registry-process.mjs) on S3. */
export interface S3RegistryProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string
  pid: number
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Its recent stderr (unexpected registry errors), for failure messages. */
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
 * Spawns a registry process on `config` and resolves once it listens (it prints its URL). Fails after
 * 20 s, or as soon as the process exits, with what it printed.
 */
export async function startS3RegistryProcess(config: S3RegistryConfig): Promise<S3RegistryProcess> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, WHARF_S3_REGISTRY: JSON.stringify(config), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
  })
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`registry process ${why}:\n${lines.join('\n')}`))
    }
    const timer = setTimeout(() => fail('did not listen within 20 s'), 20_000)
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const { listening } = JSON.parse(line) as { listening?: string }
        if (!listening) return
        clearTimeout(timer)
        child.removeAllListeners('exit')
        resolve(listening)
      } catch {
        lines.push(line)
      }
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
