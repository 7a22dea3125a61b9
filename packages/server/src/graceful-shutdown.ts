import type { Server } from 'node:http'
import type { Logger } from 'pino'
import type { RequestListener } from './request-listener.js'

/** How long registry calls cut by the drain timeout get to finish their storage work (e.g. record an upload's progress). */
const SETTLE_MS = 5000

/**
 * Stops a server the way a rolling restart needs: no new connections; every response from now on
 * carries `Connection: close`; keep-alive connections are closed as soon as they are idle; requests
 * in flight run to their end, for at most `timeoutMs`. Then whatever is left is cut (the client sees
 * the connection drop: an upload cut this way keeps its acknowledged bytes in its session and can be
 * resumed, since sessions live in storage). Resolves once every connection is closed and the
 * registry calls have settled (or `SETTLE_MS` passed), with the number of requests that were cut.
 */
export async function drainServer(server: Server, requests: RequestListener, timeoutMs: number, logger: Logger): Promise<number> {
  requests.startDraining()
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  // A keep-alive connection becomes idle when its response ends; close it then rather than at its timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 50)
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)))
  const outcome = await Promise.race([closed.then(() => 'drained' as const), expired])
  clearInterval(sweep)
  clearTimeout(timer)
  let cut = 0
  if (outcome === 'expired') {
    cut = requests.open
    logger.warn({ requests: cut, drainTimeoutMs: timeoutMs }, 'drain timeout reached: cutting the requests still in flight')
    server.closeAllConnections()
    await closed
  }
  await requests.settled(SETTLE_MS)
  return cut
}
