import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { registerRegistry2Names } from './metrics-registry2-names.js'
import { flushBatched } from './batched-counts.js'

/** Route kinds used as the `route` label (and, with registry:2's names, as `handler`). */
export type RouteKind = 'base' | 'blob' | 'upload' | 'manifest' | 'tags' | 'catalog' | 'referrers' | 'other'

/** Every {@link RouteKind}. */
export const ROUTE_KINDS: readonly RouteKind[] = ['base', 'blob', 'upload', 'manifest', 'tags', 'catalog', 'referrers', 'other']

/**
 * The server's Prometheus metrics, named after Prometheus conventions under the `wharf_` prefix
 * (`wharf_http_requests_total{method,route,code}`, base units, `_total` counters). registry:2's
 * names (`registry_http_requests_total{handler,method,code}`, …) are offered as well with
 * `registry2Names` (`http.debug.prometheus.registry2names`): computed from the same series when
 * scraped, so they cost nothing per request (see metrics-registry2-names.ts).
 */
export interface ServerMetrics {
  readonly registry: Registry
  /** Requests by uppercase `method`, `route` (route kind) and status `code`. */
  readonly requests: Counter<'method' | 'route' | 'code'>
  readonly requestDuration: Histogram<'method' | 'route'>
  readonly inFlight: Gauge<'route'>
  /** Body bytes received by blob uploads and manifest pushes (`kind`: blob or manifest). */
  readonly bytesPushed: Counter<'kind'>
  /** Body bytes sent for blob and manifest GETs. */
  readonly bytesPulled: Counter<'kind'>
  /** Upload requests (POST, PATCH, PUT of blob uploads) being received right now. */
  readonly uploadsInProgress: Gauge
  readonly storageActionSeconds: Histogram<'driver' | 'action'>
  /** Storage operations that failed for a reason other than "not found" or a lost condition. */
  readonly storageErrors: Counter<'driver' | 'action'>
  /** 1 when the storage health check passes, 0 when it has failed `threshold` times in a row. */
  readonly storageHealthy: Gauge<'check'>
  readonly notificationEvents: Counter<'endpoint'>
  readonly notificationsDelivered: Counter<'endpoint'>
  /** Failed delivery attempts (each retry counts). */
  readonly notificationFailures: Counter<'endpoint'>
  /** Events dropped because an endpoint's queue was full. */
  readonly notificationsDropped: Counter<'endpoint'>
  readonly notificationsPending: Gauge<'endpoint'>
  /** HTTP status codes answered by endpoints (`code` is `error` when no answer came). */
  readonly notificationStatus: Counter<'endpoint' | 'code'>
  readonly uploadsPurged: Counter
  /** Scheduled garbage collections by `result` (`success`, `failure`); dry runs count as runs. */
  readonly gcRuns: Counter<'result'>
  /** Bytes of blob data garbage collection removed (not counting dry runs). */
  readonly gcReclaimedBytes: Counter
  /** Objects garbage collection removed, by `kind`: manifest, link, blob, data, upload, repository (catalog entry), registry2 (files) (not counting dry runs). */
  readonly gcDeletedObjects: Counter<'kind'>
  /** When the last successful collection ended (Unix seconds). */
  readonly gcLastRun: Gauge
  readonly gcDuration: Histogram
}

/** Options of {@link createServerMetrics}. */
export interface ServerMetricsOptions {
  /**
   * The prom-client registry to register on, e.g. the host application's when it embeds the server
   * and serves one `/metrics` for everything. Default: a registry of its own (several servers in one
   * process do not mix). Two servers cannot share one registry (the names would clash).
   */
  registry?: Registry
  /** Adds prom-client's default process metrics (memory, CPU, event loop), unless the registry already has them. */
  processMetrics?: boolean
  /** Also expose registry:2's metric names, for dashboards built on registry:2. Default false. */
  registry2Names?: boolean
}

/** Creates the metrics on `options.registry` or a new registry. */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = options.registry ?? new Registry()
  if (options.processMetrics && !registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const metrics: ServerMetrics = {
    registry,
    requests: new Counter({ name: 'wharf_http_requests_total', help: 'HTTP requests answered, by method, route kind and status code.', labelNames: ['method', 'route', 'code'], registers, collect: flushBatched }),
    requestDuration: new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'Time from a request\'s arrival to the end of its response, by method and route kind.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 300],
      registers,
    }),
    // These four are fed by the request listener through batchedCounts (summed until scraped).
    inFlight: new Gauge({ name: 'wharf_http_requests_in_flight', help: 'Requests being answered, by route kind.', labelNames: ['route'], registers, collect: flushBatched }),
    bytesPushed: new Counter({ name: 'wharf_pushed_bytes_total', help: 'Body bytes received by blob uploads and manifest pushes.', labelNames: ['kind'], registers, collect: flushBatched }),
    bytesPulled: new Counter({ name: 'wharf_pulled_bytes_total', help: 'Body bytes sent for blob and manifest GETs.', labelNames: ['kind'], registers, collect: flushBatched }),
    uploadsInProgress: new Gauge({ name: 'wharf_uploads_in_progress', help: 'Blob upload requests (POST, PATCH, PUT) being received.', registers }),
    storageActionSeconds: new Histogram({
      name: 'wharf_storage_operation_duration_seconds',
      help: 'Time a storage driver operation took (for read, until the stream is open), by driver and action.',
      labelNames: ['driver', 'action'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    storageErrors: new Counter({ name: 'wharf_storage_errors_total', help: 'Storage operations that failed (not counting not-found and lost conditional writes).', labelNames: ['driver', 'action'], registers }),
    storageHealthy: new Gauge({ name: 'wharf_storage_healthy', help: '1 while the storage health check passes, 0 once it failed threshold times in a row.', labelNames: ['check'], registers }),
    notificationEvents: new Counter({ name: 'wharf_notifications_events_total', help: 'Events queued for a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationsDelivered: new Counter({ name: 'wharf_notifications_delivered_total', help: 'Events delivered to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationFailures: new Counter({ name: 'wharf_notifications_failures_total', help: 'Failed delivery attempts to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationsDropped: new Counter({ name: 'wharf_notifications_dropped_total', help: 'Events dropped because the endpoint queue was full.', labelNames: ['endpoint'], registers }),
    notificationsPending: new Gauge({ name: 'wharf_notifications_pending', help: 'Events waiting for delivery to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationStatus: new Counter({ name: 'wharf_notifications_responses_total', help: 'Responses of notification endpoints by HTTP status (error: no answer).', labelNames: ['endpoint', 'code'], registers }),
    uploadsPurged: new Counter({ name: 'wharf_uploads_purged_total', help: 'Upload sessions removed by upload purging.', registers }),
    gcRuns: new Counter({ name: 'wharf_gc_runs_total', help: 'Scheduled garbage collections, by result.', labelNames: ['result'], registers }),
    gcReclaimedBytes: new Counter({ name: 'wharf_gc_reclaimed_bytes_total', help: 'Bytes of blob data removed by garbage collection.', registers }),
    gcDeletedObjects: new Counter({ name: 'wharf_gc_deleted_objects_total', help: 'Objects removed by garbage collection, by kind.', labelNames: ['kind'], registers }),
    gcLastRun: new Gauge({ name: 'wharf_gc_last_run_timestamp_seconds', help: 'When the last successful garbage collection ended.', registers }),
    gcDuration: new Histogram({ name: 'wharf_gc_duration_seconds', help: 'Time a garbage collection took.', buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600], registers }),
  }
  if (options.registry2Names) registerRegistry2Names(metrics)
  return metrics
}
