import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (examples import the built packages by name from there). */
export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * Builds the packages an example imports (and what they depend on) when any of their `dist` is
 * missing. Tests run on sources through aliases; a spawned example can only run the build.
 */
export function ensurePackagesBuilt(packages: readonly string[]): void {
  if (packages.every((name) => existsSync(join(repositoryRoot, 'packages', name, 'dist', 'index.js')))) return
  const filters = packages.flatMap((name) => ['--filter', `@wharf/${name}...`])
  execFileSync('pnpm', [...filters, 'build'], { cwd: repositoryRoot, stdio: 'pipe', timeout: 110_000 })
}

/** A running example server: what it printed so far, and a way to stop it. */
export interface ExampleProcess {
  output(): string
  /** SIGTERM, then waits for the exit; SIGKILL if it takes more than 5 s. */
  stop(): Promise<void>
}

/**
 * Starts `node <script>` (relative to the repository root) with `env` added to this process's, and
 * resolves once its standard output contains `ready`. Rejects with everything it printed if it
 * exits first or is not ready within 20 s.
 */
export async function startExample(script: string, env: Record<string, string>, ready: string): Promise<ExampleProcess> {
  const child = spawn(process.execPath, [join(repositoryRoot, script)], { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 20_000
  while (!output.includes(ready)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited before it was ready:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${script} was not ready within 20 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}
