#!/usr/bin/env node
import { SettingError, toServerSettings } from './env-config.js'
import { startServer } from './start-server.js'

/** `wharf`: the standalone registry, configured like registry:2 through REGISTRY_* variables. */
async function main(): Promise<void> {
  let settings
  try {
    settings = toServerSettings(process.env, process.cwd())
  } catch (error) {
    if (error instanceof SettingError) {
      process.stderr.write(`wharf: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const running = await startServer(settings)
  const stop = () => {
    running.logger.info('shutting down')
    void running.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`wharf: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
