import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Route kinds used as the `handler` label (registry:2's label name; wharf's route kinds as values). */
export type RouteKind = 'base' | 'blob' | 'upload' | 'manifest' | 'tags' | 'catalog' | 'referrers' | 'other'

/**
 * The server's Prometheus metrics, on a registry of their own (several servers in one process do
 * not mix). Names follow registry:2's where it has one (`registry_http_requests_total`,
 * `registry_http_request_duration_seconds`, `registry_http_in_flight_requests`,
 * `registry_storage_action_seconds`), so existing dashboards keep working.
 */
export interface ServerMetrics {
  readonly registry: Registry
  /** Requests by `handler` (route kind), lowercase `method` and `code`. */
  readonly requests: Counter<'handler' | 'method' | 'code'>
  readonly requestDuration: Histogram<'handler' | 'method'>
  readonly inFlight: Gauge<'handler'>
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
  /** Objects garbage collection removed, by `kind`: manifest, link, blob, data, upload (not counting dry runs). */
  readonly gcDeletedObjects: Counter<'kind'>
  /** When the last successful collection ended (Unix seconds). */
  readonly gcLastRun: Gauge
  readonly gcDuration: Histogram
}

/** Creates the metrics. `processMetrics` adds prom-client's default process metrics (memory, CPU, event loop). */
export function createServerMetrics(options: { processMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry()
  if (options.processMetrics) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  return {
    registry,
    requests: new Counter({ name: 'registry_http_requests_total', help: 'Total number of HTTP requests made.', labelNames: ['handler', 'method', 'code'], registers }),
    requestDuration: new Histogram({
      name: 'registry_http_request_duration_seconds',
      help: 'The HTTP request latencies in seconds.',
      labelNames: ['handler', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 300],
      registers,
    }),
    inFlight: new Gauge({ name: 'registry_http_in_flight_requests', help: 'The in-flight HTTP requests', labelNames: ['handler'], registers }),
    bytesPushed: new Counter({ name: 'registry_bytes_pushed_total', help: 'Body bytes received by blob uploads and manifest pushes.', labelNames: ['kind'], registers }),
    bytesPulled: new Counter({ name: 'registry_bytes_pulled_total', help: 'Body bytes sent for blob and manifest GETs.', labelNames: ['kind'], registers }),
    uploadsInProgress: new Gauge({ name: 'registry_uploads_in_progress', help: 'Blob upload requests (POST, PATCH, PUT) being received.', registers }),
    storageActionSeconds: new Histogram({
      name: 'registry_storage_action_seconds',
      help: 'The number of seconds that the storage action takes',
      labelNames: ['driver', 'action'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    storageErrors: new Counter({ name: 'registry_storage_errors_total', help: 'Storage operations that failed (not counting not-found and lost conditional writes).', labelNames: ['driver', 'action'], registers }),
    storageHealthy: new Gauge({ name: 'registry_storage_healthy', help: '1 while the storage health check passes, 0 once it failed threshold times in a row.', labelNames: ['check'], registers }),
    notificationEvents: new Counter({ name: 'registry_notifications_events_total', help: 'Events queued for a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationsDelivered: new Counter({ name: 'registry_notifications_delivered_total', help: 'Events delivered to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationFailures: new Counter({ name: 'registry_notifications_failures_total', help: 'Failed delivery attempts to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationsDropped: new Counter({ name: 'registry_notifications_dropped_total', help: 'Events dropped because the endpoint queue was full.', labelNames: ['endpoint'], registers }),
    notificationsPending: new Gauge({ name: 'registry_notifications_pending', help: 'Events waiting for delivery to a notification endpoint.', labelNames: ['endpoint'], registers }),
    notificationStatus: new Counter({ name: 'registry_notifications_status_total', help: 'Responses of notification endpoints by HTTP status.', labelNames: ['endpoint', 'code'], registers }),
    uploadsPurged: new Counter({ name: 'registry_uploads_purged_total', help: 'Upload sessions removed by upload purging.', registers }),
    // wharf's own (registry:2 has no online collection), hence the wharf_ prefix.
    gcRuns: new Counter({ name: 'wharf_gc_runs_total', help: 'Scheduled garbage collections, by result.', labelNames: ['result'], registers }),
    gcReclaimedBytes: new Counter({ name: 'wharf_gc_reclaimed_bytes_total', help: 'Bytes of blob data removed by garbage collection.', registers }),
    gcDeletedObjects: new Counter({ name: 'wharf_gc_deleted_objects_total', help: 'Objects removed by garbage collection, by kind.', labelNames: ['kind'], registers }),
    gcLastRun: new Gauge({ name: 'wharf_gc_last_run_timestamp_seconds', help: 'When the last successful garbage collection ended.', registers }),
    gcDuration: new Histogram({ name: 'wharf_gc_duration_seconds', help: 'Time a garbage collection took.', buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600], registers }),
  }
}
