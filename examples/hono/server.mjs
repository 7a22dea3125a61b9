// A registry inside a Hono app, through the Web-standard fetch handler, served by @hono/node-server.
// The same `wharf(request)` call works in Bun.serve, Deno.serve and other fetch-style servers.
//   REGISTRY_HTTP_ADDR                          where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY   where to store (default ./data next to this file)
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createRegistry } from '@wharf/core'
import { toFetchHandler } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? fileURLToPath(new URL('./data', import.meta.url))
const registry = createRegistry({ storage: createFsDriver({ root }) })
const wharf = toFetchHandler(registry)

const app = new Hono()
app.all('/v2', (c) => wharf(c.req.raw))
app.all('/v2/*', (c) => wharf(c.req.raw))
app.get('/', (c) => c.text('a Hono app with a container registry under /v2/\n'))

const server = serve({ fetch: app.fetch, hostname: host, port }, () =>
  console.log(`hono app with a registry on http://${host}:${port}/v2/, storing under ${root}`),
)

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => void registry.close())
    server.closeIdleConnections?.()
  })
}

/** `host:port` as registry:2 reads it: IPv6 in brackets, a bare `:port` means every interface. */
function toListenAddress(value) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  if (!match) throw new Error(`REGISTRY_HTTP_ADDR must be host:port, got ${JSON.stringify(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(match[2]) }
}
