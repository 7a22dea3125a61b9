import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry as PromRegistry } from 'prom-client'
import type { HealthCheck } from './health-check.js'

/** Options of {@link createDebugListener}. */
export interface DebugListenerOptions {
  health: HealthCheck
  /** Serve metrics at `metricsPath` when given. */
  metrics?: PromRegistry
  metricsPath: string
}

/**
 * The listener of `http.debug.addr`: `/debug/health` and `/healthz` (as on the main listener) and,
 * when Prometheus is enabled, the metrics in Prometheus' text format at `metricsPath`.
 */
export function createDebugListener(options: DebugListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/debug/health' || path === '/healthz') {
      const failing = options.health.status()
      res.writeHead(Object.keys(failing).length === 0 ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(JSON.stringify(failing))
      return
    }
    if (options.metrics && path === options.metricsPath) {
      options.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': options.metrics!.contentType })
          res.end(text)
        },
        () => {
          res.writeHead(500).end()
        },
      )
      return
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
  }
}
