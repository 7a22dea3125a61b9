import type { IncomingMessage, ServerResponse } from 'node:http'
import { finished } from 'node:stream/promises'
import { answerConsumedBody, CONSUMED_BODY_MESSAGE, isBodyConsumed } from './consumed-body.js'
import { toNodeListener, type FetchHandler, type NodeListenerOptions } from './node-listener.js'

/** Options shared by the Express, Koa and Fastify adapters. */
export interface AdapterOptions extends NodeListenerOptions {}

/** What a framework adapter knows about a request besides the raw Node objects. */
export interface FrameworkRequest {
  /** The request target as the client sent it, before any mount point stripped a prefix. */
  target: string
  /** A body the framework's parsers left on the request (`req.body`, `ctx.request.body`), if any. */
  parsedBody?: unknown
}

/**
 * Starts answering one registry request on raw Node objects handed over by a framework, through
 * the node:http listener (so translation, backpressure and client-gone handling are the same
 * everywhere). Returns at once; see {@link responseDone} to wait for the end.
 */
export type ServeNodeRequest = (req: IncomingMessage, res: ServerResponse, framework: FrameworkRequest) => void

/** Builds the {@link ServeNodeRequest} the framework adapters share. */
export function createServeNodeRequest(registry: FetchHandler, options: AdapterOptions = {}): ServeNodeRequest {
  const listener = toNodeListener(registry, options)
  let warned = false
  return (req, res, framework) => {
    if (isBodyConsumed(req, framework.parsedBody)) {
      const error = new Error(`${req.method} ${framework.target}: ${CONSUMED_BODY_MESSAGE}`)
      if (options.onError) options.onError(error)
      else if (!warned) {
        // The host gave us no logger: say it once on the process's warning channel (stderr by default).
        warned = true
        process.emitWarning(error.message, { type: 'WharfWarning', code: 'WHARF_BODY_CONSUMED' })
      }
      answerConsumedBody(res)
      return
    }
    // Frameworks strip mount prefixes from req.url; the registry needs the full /v2 path.
    req.url = framework.target
    listener(req, res)
  }
}

/** Resolves once a response has been fully written or its client went away; never rejects. */
export function responseDone(res: ServerResponse): Promise<void> {
  return finished(res).catch(() => undefined)
}
