/**
 * `@wharf/http-adapter/fastify`: the registry as a Fastify 5 plugin.
 *
 *     await app.register(wharfFastify, { registry })
 *
 * Only types come from `fastify`, so importing this entry point loads no framework code.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { FetchHandler } from './node-listener.js'
import { createServeNodeRequest, responseDone, type AdapterOptions } from './serve-node-request.js'

/** Options of {@link wharfFastify}. */
export interface WharfFastifyOptions extends AdapterOptions {
  /** The registry to serve (from `createRegistry`). */
  registry: FetchHandler
}

/**
 * A Fastify plugin serving the registry on `/v2` and `/v2/*`; the app's other routes are untouched.
 *
 * Register it without a `prefix`: clients always call `/v2` at the root of the host.
 * It is an ordinary encapsulated plugin: inside its own context it replaces the content-type parsers
 * with a catch-all one that leaves the body unread, so uploads stream from the socket to storage
 * (no buffering, no `bodyLimit`), while the app's parsers keep working for its own routes. Hooks the
 * app registered on the root instance (`onRequest`, `preHandler`, …) still run before the registry
 * answers; the handler then takes over the raw response (`reply.hijack()`), so Fastify neither
 * serializes nor buffers it.
 */
export const wharfFastify: FastifyPluginAsync<WharfFastifyOptions> = async (app, options) => {
  const { registry, ...adapterOptions } = options
  if (typeof registry?.fetch !== 'function') {
    throw new TypeError('wharfFastify: pass { registry } (from createRegistry) as the plugin options')
  }
  const serve = createServeNodeRequest(registry, adapterOptions)

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack()
    serve(request.raw, reply.raw, { target: request.raw.url ?? '/' })
    await responseDone(reply.raw)
  }
  app.all('/v2', handler)
  app.all('/v2/*', handler)
}
