import { createServer, type Server } from 'node:http'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { toNodeListener } from '@wharf/http-adapter'
import { pino, type Logger } from 'pino'
import { withRequestLog } from './request-log.js'
import type { ServerSettings } from './env-config.js'

/** A running standalone server. */
export interface RunningServer {
  server: Server
  registry: Registry
  logger: Logger
  url: string
  close(): Promise<void>
}

/** Starts the default registry: node:http, filesystem storage, one log line per request. */
export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const logger = pino({ level: settings.logLevel })
  const registry = createRegistry({
    storage: createFsDriver({ root: settings.root }),
    onError: (error, request) => logger.error({ err: error, method: request.method, url: new URL(request.url).pathname }, 'request failed'),
  })
  const server = createServer(withRequestLog(logger, toNodeListener(registry, { onError: (err) => logger.warn({ err }, 'response failed') })))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(settings.port, settings.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : settings.port
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  const url = `http://${host}:${port}`
  logger.info({ url, root: settings.root }, 'wharf registry listening')
  return {
    server,
    registry,
    logger,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }).then(() => registry.close()),
  }
}
