import type { IncomingMessage, ServerResponse } from 'node:http'
import { RegistryError, toErrorBody } from '@wharf/core'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/** Told to the client (and to `onError`) when a framework middleware read the body first. */
export const CONSUMED_BODY_MESSAGE =
  'the request body was read by another middleware before the registry saw it; mount the registry before body parsers (express.json(), express.raw(), koa-bodyparser, ...)'

/**
 * True when a body-carrying registry request (POST, PUT, PATCH) reached the adapter after something
 * else already read its body. Passing such a stream on would either hang or store an empty blob, so
 * adapters answer with {@link answerConsumedBody} instead.
 *
 * Signals: body-parser's `req._body` flag, any data already emitted (`readableDidRead`), a stream
 * someone is already draining (`readableFlowing`), or a parsed `body` that is not body-parser 1's
 * empty placeholder `{}` (which it sets even when it leaves the stream alone).
 */
export function isBodyConsumed(req: IncomingMessage, parsedBody?: unknown): boolean {
  if (!BODY_METHODS.has(req.method ?? '')) return false
  if ((req as { _body?: unknown })._body === true) return true
  if (req.readableDidRead || req.readableFlowing === true) return true
  if (parsedBody === undefined || parsedBody === null) return false
  return !(Object.getPrototypeOf(parsedBody) === Object.prototype && Object.keys(parsedBody).length === 0)
}

/** Answers 500 UNKNOWN with {@link CONSUMED_BODY_MESSAGE}: the host app's wiring is wrong, not the client. */
export function answerConsumedBody(res: ServerResponse): void {
  const body = toErrorBody([new RegistryError('UNKNOWN', { message: CONSUMED_BODY_MESSAGE })])
  res.writeHead(500, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'Docker-Distribution-API-Version': 'registry/2.0',
    // The rest of the body (if any) is unknown to us; do not reuse the connection for another request.
    Connection: 'close',
  })
  res.end(body)
}
