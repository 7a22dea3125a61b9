/**
 * `@wharf/http-adapter/express`: the registry as Express (4 and 5) middleware.
 *
 *     app.use(createExpressRouter(registry)) // before express.json() and friends
 *
 * Express itself is never imported here (types are structural), so this entry point works with
 * either major version and pulls in no other framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRegistryPath } from './registry-path.js'
import { toTargetPath } from './request-target.js'
import type { FetchHandler } from './node-listener.js'
import { createServeNodeRequest, type AdapterOptions } from './serve-node-request.js'

/** The parts of an Express request the middleware reads. */
export type ExpressLikeRequest = IncomingMessage & { originalUrl?: string; body?: unknown }

/** An Express (or Connect) middleware. */
export type ExpressMiddleware = (req: ExpressLikeRequest, res: ServerResponse, next: (error?: unknown) => void) => void

/** Options of {@link createExpressRouter}. */
export interface ExpressRouterOptions extends AdapterOptions {}

/**
 * An Express middleware that answers every `/v2` request (`/v2`, `/v2/…`) with the registry and calls
 * `next()` for everything else, so it sits next to the app's own routes.
 *
 * Bodies stream straight from the socket to storage, so mount it before body parsers. If a parser
 * already read an upload's body, the request is answered 500 with a message saying so, rather than
 * hanging or storing an empty blob. Mounting under a path (`app.use('/v2', …)`) works too: the full
 * original URL is what the registry sees. Docker clients always call `/v2` at the root of the host.
 */
export function createExpressRouter(registry: FetchHandler, options: ExpressRouterOptions = {}): ExpressMiddleware {
  const serve = createServeNodeRequest(registry, options)
  return (req, res, next) => {
    const target = req.originalUrl ?? req.url ?? '/'
    if (!isRegistryPath(toTargetPath(target) ?? '')) {
      next()
      return
    }
    serve(req, res, { target, parsedBody: req.body })
  }
}
