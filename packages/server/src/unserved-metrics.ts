import type { ServerMetrics } from './metrics.js'

/** Takes every call a counter, gauge or histogram of the server gets, and keeps nothing. */
const NOOP_METRIC = {
  inc() {},
  dec() {},
  set() {},
  observe() {},
  reset() {},
  remove() {},
  labels: () => NOOP_METRIC,
  startTimer: () => () => 0,
}

/**
 * Metrics that record nothing, for a server whose metrics nobody can read (the `wharf` command
 * without `http.debug.prometheus.enabled`, as registry:2 then serves none either): prom-client is
 * then never loaded, and requests skip its label lookups. Every metric, and `registry`, is a no-op.
 */
export function createUnservedMetrics(): ServerMetrics {
  const metrics = new Proxy({}, { get: () => NOOP_METRIC }) as unknown as ServerMetrics
  unserved.add(metrics)
  return metrics
}

const unserved = new WeakSet<object>()

/**
 * True for metrics from {@link createUnservedMetrics}: whoever would only feed them can skip its
 * work (the storage timing wrapper, the per-request counts), as nothing can ever read the result.
 */
export function isUnservedMetrics(metrics: ServerMetrics): boolean {
  return unserved.has(metrics)
}
