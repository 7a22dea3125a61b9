import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'

/**
 * Wraps a request listener so every request leaves one log line when its response ends: method, path
 * (without the query, which may carry digests but never secrets; headers are never logged), status,
 * bytes sent and duration.
 */
export function withRequestLog(
  logger: Logger,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  let sequence = 0
  return (req, res) => {
    const started = process.hrtime.bigint()
    const id = (++sequence).toString(36)
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      logger.info(
        {
          reqId: id,
          method: req.method,
          path: (req.url ?? '/').split('?')[0],
          status: res.statusCode,
          bytesIn: req.socket.bytesRead,
          bytesOut: Number(res.getHeader('content-length') ?? 0),
          ms: Math.round(ms * 10) / 10,
          completed: res.writableFinished,
        },
        'request',
      )
    })
    listener(req, res)
  }
}
