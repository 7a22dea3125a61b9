// A registry inside a Fastify app, as a plugin next to the app's own routes.
//   REGISTRY_HTTP_ADDR                          where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY   where to store (default ./data next to this file)
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { createRegistry } from '@wharf/core'
import { wharfFastify } from '@wharf/http-adapter/fastify'
import { createFsDriver } from '@wharf/storage-fs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? fileURLToPath(new URL('./data', import.meta.url))
const registry = createRegistry({ storage: createFsDriver({ root }) })

const app = Fastify({ logger: process.env.LOG_REQUESTS ? true : false })
// No prefix: clients always call /v2 at the root of the host. The plugin's raw-body parser stays
// inside its own context, so the JSON route below still gets a parsed body.
await app.register(wharfFastify, { registry })
app.get('/', async () => 'a Fastify app with a container registry under /v2/\n')
app.post('/echo', async (request) => request.body)
app.addHook('onClose', () => registry.close())

await app.listen({ host, port })
console.log(`fastify app with a registry on http://${host}:${port}/v2/, storing under ${root}`)

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void app.close())

/** `host:port` as registry:2 reads it: IPv6 in brackets, a bare `:port` means every interface. */
function toListenAddress(value) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  if (!match) throw new Error(`REGISTRY_HTTP_ADDR must be host:port, got ${JSON.stringify(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(match[2]) }
}
