import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeListener, type FetchHandler, type NodeListenerOptions } from './node-listener.js'
import { applyServerLimits, toHttpServerOptions, type ServerLimits } from './server-limits.js'

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions extends NodeListenerOptions, ServerLimits {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: an ephemeral port. */
  port?: number
}

/** A running registry server. */
export interface RunningRegistry {
  /** `http://host:port`, without a trailing slash. */
  url: string
  /** `host:port`, as image references want it. */
  address: string
  port: number
  server: Server
  /** Stops accepting connections, closes idle ones and resolves when the server is closed. */
  close(): Promise<void>
}

/**
 * Starts a registry on node:http (by default on an ephemeral loopback port): the in-process
 * replacement for running `registry:2` in a container during tests. Header blocks up to
 * `maxHeaderBytes` are accepted (larger ones answered 431), headers must arrive within
 * `headersTimeoutMs`, and a body that stops arriving for `bodyIdleTimeoutMs` is answered 408.
 */
export async function startRegistry(registry: FetchHandler, options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const server = createServer(toHttpServerOptions(options), toNodeListener(registry, options))
  applyServerLimits(server, options)
  server.keepAliveTimeout = 65_000
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}`,
    address: `${shownHost}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeIdleConnections()
      }),
  }
}
