import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { elapsedMs, type RequestContext } from './request-context.js'

/**
 * Writes the one access-log line of a request, at `info`, once its response has ended: request id,
 * method, route kind, repository, path (never the query string, which may carry signatures), status,
 * body bytes received and sent by *this* request (not the socket's running totals, which keep-alive
 * connections share between requests), duration in ms, the client address, and whether the response
 * completed (false when the client left or the connection was cut). Headers are never logged.
 */
export function logRequest(logger: Logger, context: RequestContext, res: ServerResponse): void {
  logger.info(
    {
      reqId: context.id,
      method: context.method,
      route: context.kind,
      ...(context.repository !== undefined ? { repository: context.repository } : {}),
      path: context.path,
      status: res.statusCode,
      bytesIn: context.bytesIn,
      bytesOut: context.bytesOut,
      ms: elapsedMs(context),
      remote: context.remoteAddr,
      completed: res.writableFinished,
    },
    'request',
  )
}
