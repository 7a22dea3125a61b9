#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { toCliCommand, USAGE } from './cli-args.js'
import { isConfigError } from './config/config-error.js'
import { loadConfig } from './config/load-config.js'
import { toServerOptions } from './server-options.js'
import { startServer } from './start-server.js'

/**
 * `wharf [serve] [config.yml]`: the standalone registry, configured like registry:2. Exit codes:
 * 0 after a graceful stop (SIGTERM/SIGINT), 1 when the server cannot start (e.g. port in use),
 * 2 for a bad command line or configuration.
 */
async function main(): Promise<void> {
  const command = toCliCommand(process.argv.slice(2))
  if (command.kind === 'help') return void process.stdout.write(USAGE)
  if (command.kind === 'version') return void process.stdout.write(`${readVersion()}\n`)
  if (command.kind === 'error') return fail(`${command.message}\n\n${USAGE}`, 2)

  let options
  try {
    const loaded = loadConfig(command.configPath === undefined ? {} : { path: command.configPath })
    options = toServerOptions(loaded.config, { warnings: loaded.warnings })
  } catch (error) {
    if (isConfigError(error)) return fail(`configuration error: ${error.message}`, 2)
    throw error
  }
  const running = await startServer(options).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    return fail(`cannot start: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}`, 1)
  })

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      running.logger.warn({ signal }, 'second signal: exiting without waiting for requests in flight')
      process.exit(1)
    }
    stopping = true
    running.logger.info({ signal, drainTimeoutMs: options.config.http.draintimeout }, 'shutting down: finishing requests in flight')
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

function fail(message: string, code: number): never {
  process.stderr.write(`wharf: ${message}\n`)
  process.exit(code)
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`wharf: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
