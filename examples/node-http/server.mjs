// The default server: a registry on node:http, storing on the local disk.
//   REGISTRY_HTTP_ADDR                          where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY   where to store (default ./data next to this file)
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createRegistry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? fileURLToPath(new URL('./data', import.meta.url))

const registry = createRegistry({ storage: createFsDriver({ root }) })
const server = createServer(toNodeListener(registry))
server.listen(port, host, () => console.log(`registry on http://${host}:${port}/v2/, storing under ${root}`))

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
