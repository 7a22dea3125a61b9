// The registry served on node:http with the driver from sorted-map-driver.mjs (kept in memory:
// everything is gone when the process stops).
//   REGISTRY_HTTP_ADDR   where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
import { createServer } from 'node:http'
import { createRegistry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import { createSortedMapDriver } from './sorted-map-driver.mjs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const registry = createRegistry({ storage: createSortedMapDriver() })
const server = createServer(toNodeListener(registry))
server.listen(port, host, () => console.log(`registry on http://${host}:${port}/v2/, storing in memory (sorted map driver)`))

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => void registry.close())
    server.closeIdleConnections()
  })
}

/** `host:port` as registry:2 reads it: IPv6 in brackets, a bare `:port` means every interface. */
function toListenAddress(value) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  if (!match) throw new Error(`REGISTRY_HTTP_ADDR must be host:port, got ${JSON.stringify(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(match[2]) }
}
