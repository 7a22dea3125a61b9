import { execFile, spawnSync } from 'node:child_process'

/** What a finished command printed. */
export interface CommandOutput {
  stdout: string
  stderr: string
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** Killed (SIGKILL) after this long; default 60 s, so a hung client fails the test instead of the suite. */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/**
 * Fails with a message that says how to install `binary` when it is not on PATH. The interop tests
 * are worthless without the real clients, so a missing one is a failure, never a silent skip.
 */
export function requireBinary(binary: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' })
  if (found.status !== 0) {
    throw new Error(
      `${binary} is not installed; the interop tests need it. Install it with ` +
        `"apt-get install -y --no-install-recommends ${debianPackage}" (scripts/test.sh does this on CI).`,
    )
  }
}

/**
 * Runs `command` with `args` (no shell) and resolves with its output once it exits with status 0.
 * Rejects with an error carrying the command line, the exit status and stderr otherwise.
 */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        env: options.env ?? process.env,
        cwd: options.cwd,
      },
      (error, stdout, stderr) => {
        if (error) {
          const status = error.killed ? `killed after ${options.timeoutMs ?? 60_000} ms` : `exit ${String(error.code)}`
          reject(new Error(`${command} ${args.join(' ')} failed (${status}):\n${stderr.trim() || stdout.trim()}`))
          return
        }
        resolve({ stdout, stderr })
      },
    )
  })
}
