import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** One registry running in a child Node process, as {@link startChildRegistry} resolves it. */
export interface ChildRegistry {
  /** `http://127.0.0.1:<port>` it listens on. */
  url: string
  pid: number
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** The last 50 lines it printed that were not its "listening" line, for failure messages. */
  logTail(): string
}

/** Options of {@link startChildRegistry}. */
export interface ChildRegistryOptions {
  /** Arguments to `node` (the script first). */
  args: readonly string[]
  /** Added to the parent's environment (configuration belongs here rather than in argv, out of `ps`). */
  env?: NodeJS.ProcessEnv
  /**
   * Reads the URL from one stdout line, or `undefined` if the line does not announce listening.
   * Default: a JSON line `{"listening": url}` (the fixture scripts) or the standalone server's
   * `{"msg": "wharf registry listening", "url": url}` log entry.
   */
  listeningUrl?: (line: string) => string | undefined
  /** How long to wait for the URL; default 20 s. */
  startTimeoutMs?: number
}

function defaultListeningUrl(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { listening?: unknown; msg?: unknown; url?: unknown }
    if (typeof entry.listening === 'string') return entry.listening
    if (entry.msg === 'wharf registry listening' && typeof entry.url === 'string') return entry.url
  } catch {
    // Not a JSON line: not the announcement.
  }
  return undefined
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
 * Spawns `node <args>` and resolves once it announces the URL it listens on. Rejects (after killing
 * the child) when it exits first or stays silent past the start timeout, with what it printed. Both
 * pipes are drained for the child's whole life, so a chatty process never blocks on a full pipe.
 */
export async function startChildRegistry(options: ChildRegistryOptions): Promise<ChildRegistry> {
  const listeningUrl = options.listeningUrl ?? defaultListeningUrl
  const startTimeoutMs = options.startTimeoutMs ?? 20_000
  const child = spawn(process.execPath, [...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const remember = (line: string) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
  }
  createInterface({ input: child.stderr! }).on('line', remember)
  const url = await new Promise<string>((resolve, reject) => {
    let settled = false
    const fail = (why: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`registry process ${why}:\n${lines.join('\n')}`))
    }
    const timer = setTimeout(() => fail(`did not announce its URL within ${startTimeoutMs} ms`), startTimeoutMs)
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal}) before listening`)
    child.once('exit', onExit)
    child.once('error', (error) => fail(`could not be spawned (${error.message})`))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const announced = settled ? undefined : listeningUrl(line)
      if (announced === undefined) return remember(line)
      settled = true
      clearTimeout(timer)
      child.off('exit', onExit)
      resolve(announced)
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
