import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeListener, type FetchHandler, type NodeListenerOptions } from './node-listener.js'

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions extends NodeListenerOptions {
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
 * replacement for running `registry:2` in a container during tests.
 */
export async function startRegistry(registry: FetchHandler, options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const server = createServer(toNodeListener(registry, options))
  server.keepAliveTimeout = 65_000
  // A large push may take longer than Node's default 5-minute request timeout; uploads are
  // bounded by the client, and an idle socket still times out through keepAliveTimeout.
  server.requestTimeout = 0
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
