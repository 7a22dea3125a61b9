import type { LabelValues, Metric } from 'prom-client'
import type { ServerMetrics } from './metrics.js'

type Labels = Partial<Record<string, string | number>>

/** registry:2 labels a route `handler` and writes methods in lowercase (Go's promhttp). */
const toHandlerLabels = ({ le, route, method, ...rest }: Labels): Labels => ({
  ...(le === undefined ? {} : { le }),
  ...(route === undefined ? {} : { handler: route }),
  ...(method === undefined ? {} : { method: String(method).toLowerCase() }),
  ...rest,
})
const same = (labels: Labels): Labels => labels

/**
 * The `registry_` names wharf's series had before they took Prometheus-convention `wharf_` names:
 * registry:2's own (`registry_http_requests_total`, `registry_http_request_duration_seconds`,
 * `registry_http_in_flight_requests`, `registry_storage_action_seconds`,
 * `registry_notifications_{events,status}_total`, `registry_notifications_pending`) and the ones
 * wharf had added beside them with the same prefix.
 */
const REGISTRY2_NAMES: ReadonlyArray<[keyof ServerMetrics, string, (labels: Labels) => Labels]> = [
  ['requests', 'registry_http_requests_total', toHandlerLabels],
  ['requestDuration', 'registry_http_request_duration_seconds', toHandlerLabels],
  ['inFlight', 'registry_http_in_flight_requests', toHandlerLabels],
  ['bytesPushed', 'registry_bytes_pushed_total', same],
  ['bytesPulled', 'registry_bytes_pulled_total', same],
  ['uploadsInProgress', 'registry_uploads_in_progress', same],
  ['storageActionSeconds', 'registry_storage_action_seconds', same],
  ['storageErrors', 'registry_storage_errors_total', same],
  ['storageHealthy', 'registry_storage_healthy', same],
  ['notificationEvents', 'registry_notifications_events_total', same],
  ['notificationsDelivered', 'registry_notifications_delivered_total', same],
  ['notificationFailures', 'registry_notifications_failures_total', same],
  ['notificationsDropped', 'registry_notifications_dropped_total', same],
  ['notificationsPending', 'registry_notifications_pending', same],
  ['notificationStatus', 'registry_notifications_status_total', same],
  ['uploadsPurged', 'registry_uploads_purged_total', same],
]

/**
 * Registers, beside each `wharf_` series, a view under its registry:2 name with registry:2's labels.
 * A view holds no state: it reads its source when scraped (histogram buckets, sums and counts
 * included), so requests update one series whatever this setting, and the two names never disagree.
 */
export function registerRegistry2Names(metrics: ServerMetrics): void {
  for (const [field, name, relabel] of REGISTRY2_NAMES) {
    const source = metrics[field] as unknown as Metric & { name: string; help: string }
    const view = {
      name,
      help: source.help,
      type: (source as unknown as { type: string }).type,
      aggregator: 'sum',
      async get() {
        const metric = await source.get()
        return {
          ...metric,
          name,
          values: metric.values.map((value) => ({
            ...value,
            labels: relabel(value.labels as Labels) as LabelValues<string>,
            ...('metricName' in value && typeof value.metricName === 'string' ? { metricName: name + value.metricName.slice(source.name.length) } : {}),
          })),
        }
      },
      reset: () => undefined,
    }
    metrics.registry.registerMetric(view as unknown as Metric)
  }
}
