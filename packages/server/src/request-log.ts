import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { elapsedMs, toErrorCode, type RequestContext } from './request-context.js'

/**
 * Writes the one access-log line of a request, at `info`, once its response has ended: request id
 * (also sent back as `X-Request-Id`), method, route kind, repository, reference (tag or digest),
 * path (never the query string, which may carry signatures), status, the OCI error code of a 4xx/5xx
 * answer, body bytes received and sent by *this* request (not the socket's running totals, which
 * keep-alive connections share between requests), duration in ms, the authenticated user, the
 * client address, the user agent, for pushes the digests and tags stored, and whether the response
 * completed (false when the client left or the connection was cut). A request that got no answer
 * at all (the client left first) has `status: null` and `answered: false`. Headers other than the
 * user agent are never logged.
 */
export function logRequest(logger: Logger, context: RequestContext, res: ServerResponse): void {
  const answered = res.headersSent
  const code = answered && res.statusCode >= 400 ? toErrorCode(context) : undefined
  logger.info(
    {
      reqId: context.id,
      method: context.method,
      route: context.kind,
      ...(context.repository !== undefined ? { repository: context.repository } : {}),
      ...(context.reference !== undefined ? { reference: context.reference } : {}),
      path: context.path,
      status: answered ? res.statusCode : null,
      ...(code !== undefined ? { errorCode: code } : {}),
      bytesIn: context.bytesIn,
      bytesOut: context.bytesOut,
      ms: elapsedMs(context),
      ...(context.user !== undefined ? { user: context.user } : {}),
      remote: context.remoteAddr,
      ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
      ...(context.pushedDigests ? { digests: context.pushedDigests } : {}),
      ...(context.pushedTags ? { tags: context.pushedTags } : {}),
      answered,
      completed: res.writableFinished,
    },
    'request',
  )
}
