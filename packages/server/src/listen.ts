import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type * as Https from 'node:https'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { applyServerLimits, toHttpServerOptions, type ServerLimits } from '@wharf/http-adapter'
import type { ListenAddress } from './config/listen-address.js'
import type { TlsOptions } from './server-options.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

// node:https (and node:tls under it) is required only when TLS is configured: most registries sit
// behind a proxy that terminates TLS, and the modules cost about 0.4 MB of RSS (issue 16).
const require = createRequire(import.meta.url)

/**
 * A node:http server, or node:https with `tls` (mutual TLS when it has client CAs: a client without
 * a certificate signed by one of them is refused during the handshake). Node's 5-minute
 * `requestTimeout` is turned off: a multi-GiB push is one long request, and registry:2 (Go) sets no
 * such limit either; a stalled body is cut by the listener's idle-body timeout instead. Headers must
 * arrive within `limits.headersTimeoutMs` and fit in `limits.maxHeaderBytes` (431 with a body beyond).
 */
export function createListeningServer(listener: Listener, tls?: TlsOptions, limits: ServerLimits = {}): Server {
  const options = toHttpServerOptions(limits)
  const server: Server = tls
    ? (require('node:https') as typeof Https).createServer(
        {
          ...options,
          cert: tls.cert,
          key: tls.key,
          minVersion: tls.minVersion,
          ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
        },
        listener,
      )
    : createHttpServer(options, listener)
  applyServerLimits(server, limits)
  return server
}

/** Listens on `address`; resolves to the URL it got (with the real port when 0 was asked). */
export function listen(server: Server, address: ListenAddress, scheme: 'http' | 'https'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      const { port } = server.address() as AddressInfo
      const host = address.host.includes(':') ? `[${address.host}]` : address.host
      resolve(`${scheme}://${host}:${port}`)
    })
  })
}
