import type { RegistryEvent } from '@wharf/core'
import type { Logger } from 'pino'
import type { NotificationEndpointConfig } from '../config/config-types.js'
import type { ServerMetrics } from '../metrics.js'
import { createEndpointQueue, type EndpointQueue } from './endpoint-queue.js'
import { toEnvelopeEvent, type EventRequest, type EventSource } from './envelope.js'

/** Options of {@link createNotifier}. */
export interface NotifierOptions {
  endpoints: readonly NotificationEndpointConfig[]
  source: EventSource
  /** The registry's external URL (http.host), for target URLs; default: the request's. */
  baseUrl?: string
  logger: Logger
  metrics: ServerMetrics
  /** Events each endpoint keeps waiting at most. Default 10,000. */
  maxQueue?: number
}

/** Sends registry events to the configured webhooks. */
export interface Notifier {
  /** Queues `event` for every endpoint that does not ignore it. Never blocks, never throws. */
  notify(event: RegistryEvent, request: EventRequest | undefined): void
  /** Stops every endpoint's delivery, giving queued events up to `flushMs` to go out. */
  close(flushMs?: number): Promise<void>
}

interface Endpoint {
  queue: EndpointQueue
  ignoredMediaTypes: Set<string>
  ignoredActions: Set<string>
}

/**
 * registry:2's `notifications.endpoints`: each enabled endpoint gets its own in-memory queue (see
 * `createEndpointQueue`), filtered by `ignoredmediatypes`, `ignore.mediatypes` and `ignore.actions`.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const endpoints: Endpoint[] = options.endpoints
    .filter((endpoint) => !endpoint.disabled)
    .map((endpoint) => ({
      queue: createEndpointQueue({
        name: endpoint.name,
        url: endpoint.url,
        headers: endpoint.headers,
        timeoutMs: endpoint.timeout,
        threshold: endpoint.threshold,
        backoffMs: endpoint.backoff,
        logger: options.logger,
        metrics: options.metrics,
        ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
      }),
      ignoredMediaTypes: new Set([...endpoint.ignoredmediatypes, ...endpoint.ignore.mediatypes]),
      ignoredActions: new Set(endpoint.ignore.actions),
    }))
  return {
    notify(event, request) {
      try {
        const envelope = toEnvelopeEvent(event, request, options.source, options.baseUrl)
        for (const endpoint of endpoints) {
          if (endpoint.ignoredActions.has(envelope.action)) continue
          if (envelope.target.mediaType && endpoint.ignoredMediaTypes.has(envelope.target.mediaType)) continue
          endpoint.queue.push(envelope)
        }
      } catch (error) {
        options.logger.error({ err: error }, 'notification event could not be queued')
      }
    },
    async close(flushMs = 0) {
      await Promise.all(endpoints.map((endpoint) => endpoint.queue.close(flushMs)))
    },
  }
}
