#!/usr/bin/env node
import { toCliCommand, USAGE } from './cli-args.js'
import { isConfigError } from './config/config-error.js'
import { loadConfig } from './config/load-config.js'
import { toServerOptions } from './server-options.js'
import { startServer, type RunningServer } from './start-server.js'
import { startMemoryTrim } from './memory-trim.js'
import { runMigrate } from './migrate-command.js'
import { runGarbageCollect } from './gc-command.js'
import { runCheckConfig } from './check-config-command.js'
import { readVersion } from './version.js'

/**
 * `wharf [serve] [config.yml]`: the standalone registry, configured like registry:2 (and
 * `wharf migrate`, see migrate-command.ts, `wharf garbage-collect`, gc-command.ts, and
 * `wharf check-config`, check-config-command.ts). Exit codes:
 * 0 after a graceful stop (SIGTERM/SIGINT), 1 when the server cannot start (e.g. port in use),
 * 2 for a bad command line or configuration (`garbage-collect`: 1 for every error, as registry:2's).
 */
async function main(): Promise<void> {
  const command = toCliCommand(process.argv.slice(2))
  if (command.kind === 'help') return void process.stdout.write(USAGE)
  if (command.kind === 'version') return void process.stdout.write(`${readVersion()}\n`)
  if (command.kind === 'error') return fail(`${command.message}\n\n${USAGE}`, command.exitCode ?? 2)
  if (command.kind === 'garbage-collect') return void (process.exitCode = await runGarbageCollect(command))
  if (command.kind === 'check-config') return void (process.exitCode = await runCheckConfig(command))
  if (command.kind === 'migrate') {
    try {
      process.exitCode = await runMigrate(command)
    } catch (error) {
      if (isConfigError(error)) return fail(`configuration error: ${error.message}`, 2)
      throw error
    }
    return
  }

  // Installed before anything starts: a signal that arrives while the server is starting (even
  // right after it logged that it listens) still gets a graceful stop, never the default kill.
  let running: RunningServer | undefined
  let signalled: NodeJS.Signals | undefined
  const stop = (signal: NodeJS.Signals) => {
    if (signalled) {
      running?.logger.warn({ signal }, 'second signal: exiting without waiting for requests in flight')
      process.exit(1)
    }
    signalled = signal
    if (running) shutDown(running, signal)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)

  let options
  try {
    const loaded = loadConfig(command.configPath === undefined ? {} : { path: command.configPath })
    options = await toServerOptions(loaded.config, { warnings: loaded.warnings })
  } catch (error) {
    if (isConfigError(error)) return fail(`configuration error: ${error.message}`, 2)
    throw error
  }
  if (signalled) process.exit(0)
  running = await startServer({ ...options, tracingEnv: process.env, metricsOnlyWhenServed: true }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    return fail(`cannot start: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}`, 1)
  })
  if (signalled) shutDown(running, signalled)
  else if (process.env['WHARF_MEMORY_TRIM'] !== '0') startMemoryTrim(running.server)
}

function shutDown(running: RunningServer, signal: NodeJS.Signals): void {
  running.logger.info({ signal }, 'shutting down: finishing requests in flight')
  running.close().then(
    () => process.exit(0),
    (error: unknown) => {
      running.logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    },
  )
}

function fail(message: string, code: number): never {
  process.stderr.write(`wharf: ${message}\n`)
  process.exit(code)
}

main().catch((error: unknown) => {
  process.stderr.write(`wharf: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
