import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The workspace root. */
export const WORKSPACE = fileURLToPath(new URL('../', import.meta.url))

/** The publishable packages (folder names under packages/). */
export const PACKAGES = ['core', 'storage-fs', 'storage-s3', 'storage-azure', 'http-adapter', 'auth', 'ui', 'server', 'testing'] as const

/** Runs a command (no shell) and resolves with stdout; rejects with its output when it fails. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 180_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.killed ? 'killed' : `exit ${String(error.code)}`}):\n${stdout}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}

/** A spawned `wharf` command, once it logged the URL it listens on. */
export interface ServingCommand {
  url: string
  stop(): Promise<void>
}

/** Spawns `command` and resolves once a JSON log line says "wharf registry listening". */
export function serve(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ServingCommand> {
  // Its own process group: `npx` runs the bin as a child and does not pass SIGTERM on, so stopping
  // the group is what stops the server (a kill of npx alone left it listening after the suite).
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const output: string[] = []
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stopGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
    return exited
  }
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before listening:\n${output.join('')}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line)
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string }
        if (entry.msg === 'wharf registry listening' && entry.url) {
          resolve({ url: entry.url, stop: stopGroup })
        }
      } catch {
        // not a log line
      }
    })
  })
}
