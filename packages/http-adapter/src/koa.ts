/**
 * `@wharf/http-adapter/koa`: the registry as Koa (2 and 3) middleware.
 *
 *     app.use(createKoaMiddleware(registry)) // before koa-bodyparser and friends
 *
 * Koa itself is never imported here (types are structural), so this entry point works with either
 * major version and pulls in no other framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRegistryPath } from './registry-path.js'
import { toTargetPath } from './request-target.js'
import type { FetchHandler } from './node-listener.js'
import { createServeNodeRequest, responseDone, type AdapterOptions } from './serve-node-request.js'

/** The parts of a Koa context the middleware reads and writes. */
export interface KoaLikeContext {
  originalUrl: string
  req: IncomingMessage
  res: ServerResponse
  respond?: boolean
  request: object
}

/** A Koa middleware. */
export type KoaMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<unknown>

/** Options of {@link createKoaMiddleware}. */
export interface KoaMiddlewareOptions extends AdapterOptions {}

/**
 * A Koa middleware that answers every `/v2` request with the registry and calls `next()` for
 * everything else. It writes to `ctx.res` itself (`ctx.respond = false`), so bodies stream both ways
 * without buffering; its promise settles when the response is finished or the client left, so
 * upstream middleware (timers, loggers) see the whole exchange.
 *
 * Mount it before body parsers; if one already read an upload's body, the request is answered 500
 * with a message saying so.
 */
export function createKoaMiddleware(registry: FetchHandler, options: KoaMiddlewareOptions = {}): KoaMiddleware {
  const serve = createServeNodeRequest(registry, options)
  return async (ctx, next) => {
    if (!isRegistryPath(toTargetPath(ctx.originalUrl) ?? '')) return next()
    // Koa must not write a response of its own (it would default to 404 and end the stream).
    ctx.respond = false
    const parsedBody = (ctx.request as { body?: unknown }).body
    serve(ctx.req, ctx.res, { target: ctx.originalUrl, parsedBody })
    await responseDone(ctx.res)
  }
}
