// A registry inside a Koa app, next to the app's own routes.
//   REGISTRY_HTTP_ADDR                          where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY   where to store (default ./data next to this file)
import { fileURLToPath } from 'node:url'
import Koa from 'koa'
import { createRegistry } from '@wharf/core'
import { createKoaMiddleware } from '@wharf/http-adapter/koa'
import { createFsDriver } from '@wharf/storage-fs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? fileURLToPath(new URL('./data', import.meta.url))
const registry = createRegistry({ storage: createFsDriver({ root }) })

const app = new Koa()
app.use(async (ctx, next) => {
  const started = performance.now()
  await next() // for /v2 requests this resolves once the registry has finished answering
  if (process.env.LOG_REQUESTS) console.log(`${ctx.method} ${ctx.originalUrl} ${ctx.res.statusCode} ${(performance.now() - started).toFixed(1)} ms`)
})
// The registry before any body parser: it streams upload bodies itself.
app.use(createKoaMiddleware(registry))
app.use((ctx) => {
  if (ctx.path === '/') ctx.body = 'a Koa app with a container registry under /v2/\n'
})

const server = app.listen(port, host, () => console.log(`koa app with a registry on http://${host}:${port}/v2/, storing under ${root}`))

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
