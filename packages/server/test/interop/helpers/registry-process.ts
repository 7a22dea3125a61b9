import { spawn, type ChildProcess } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runCommand } from './commands.js'

/** The workspace root (this file is packages/server/test/interop/helpers/registry-process.ts). */
const WORKSPACE = fileURLToPath(new URL('../../../../../', import.meta.url))
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

/** One `node packages/server/dist/cli.js` process. */
export interface RegistryProcess {
  /** `http://127.0.0.1:<port>` it listens on. */
  url: string
  pid: number
  /** Sends `signal` and resolves once the process has exited (SIGKILL after 10 s if it has not). */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** The last log lines it printed, for failure messages. */
  logTail(): string
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

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
 * Spawns the standalone server on an ephemeral loopback port with its filesystem storage at `root`,
 * and resolves once it has logged "wharf registry listening" (whose `url` gives the port it got).
 * Its output keeps being drained, so a chatty process never blocks on a full pipe.
 */
export async function startRegistryProcess(cli: string, root: string): Promise<RegistryProcess> {
  const child = spawn(process.execPath, [cli], {
    env: { ...process.env, REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, REGISTRY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const remember = (line: string) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
  }
  createInterface({ input: child.stderr! }).on('line', remember)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not log "wharf registry listening" within 20 s'), 20_000)
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`registry process ${why}:\n${lines.join('\n')}`))
    }
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line)
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string }
        if (entry.msg === 'wharf registry listening' && entry.url) {
          clearTimeout(timer)
          child.removeAllListeners('exit')
          resolve(entry.url)
        }
      } catch {
        // Not a log line of ours; kept for the failure message only.
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
