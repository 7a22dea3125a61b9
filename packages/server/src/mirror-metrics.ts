import type { Mirror } from '@wharf/core'
import { Counter, type Registry } from 'prom-client'
import type { Logger } from 'pino'

/** The mirror's counters, on the server's metrics registry. */
export interface MirrorMetrics {
  /** Cache decisions by `upstream`, `kind` (manifest, blob) and `result` (hit, miss, stale). */
  readonly requests: Counter<'upstream' | 'kind' | 'result'>
  /** Upstream failures by `upstream` and `reason` (unavailable, timeout, auth, digest-mismatch, too-large, status-<code>, invalid). */
  readonly upstreamErrors: Counter<'upstream' | 'reason'>
  /** Bytes fetched from upstreams on misses. */
  readonly upstreamBytes: Counter<'upstream' | 'kind'>
}

/**
 * Counts the mirror's events as Prometheus metrics (`wharf_mirror_*`: registry:2 exports none for its
 * proxy) and logs upstream failures as warnings, so an operator sees a down upstream before users do.
 */
export function observeMirror(mirror: Mirror, registry: Registry, logger: Logger): MirrorMetrics {
  const registers = [registry]
  const metrics: MirrorMetrics = {
    requests: new Counter({ name: 'wharf_mirror_requests_total', help: 'Pull-through cache decisions, by upstream, kind and result (hit, miss, stale).', labelNames: ['upstream', 'kind', 'result'], registers }),
    upstreamErrors: new Counter({ name: 'wharf_mirror_upstream_errors_total', help: 'Upstream registry failures, by upstream and reason.', labelNames: ['upstream', 'reason'], registers }),
    upstreamBytes: new Counter({ name: 'wharf_mirror_upstream_bytes_total', help: 'Bytes fetched from upstream registries on cache misses.', labelNames: ['upstream', 'kind'], registers }),
  }
  mirror.events.on('*', (event) => {
    if (event.type === 'upstream-error') {
      metrics.upstreamErrors.inc({ upstream: event.upstream, reason: event.reason ?? 'unknown' })
      logger.warn({ upstream: event.upstream, repository: event.repository, reason: event.reason, digest: event.digest, tag: event.tag }, 'upstream registry failed')
      return
    }
    if (event.kind === 'tags') return
    metrics.requests.inc({ upstream: event.upstream, kind: event.kind, result: event.type })
    if (event.type === 'miss' && event.size !== undefined) metrics.upstreamBytes.inc({ upstream: event.upstream, kind: event.kind }, event.size)
  })
  return metrics
}
