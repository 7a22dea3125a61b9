import type { Logger } from 'pino'
import type { ServerMetrics } from '../metrics.js'
import { ENVELOPE_MEDIA_TYPE, type EnvelopeEvent } from './envelope.js'

/** Options of {@link createEndpointQueue}. */
export interface EndpointQueueOptions {
  name: string
  url: string
  headers: Record<string, string[]>
  /** Time one POST may take, answer included. */
  timeoutMs: number
  /** Consecutive failures after which each new attempt waits `backoffMs`. */
  threshold: number
  backoffMs: number
  /** Events kept waiting at most; beyond, the oldest are dropped (and counted). Default 10,000. */
  maxQueue?: number
  logger: Logger
  metrics: ServerMetrics
}

/** The delivery queue of one webhook. */
export interface EndpointQueue {
  /** Queues an event; returns at once, whatever the endpoint's state. */
  push(event: EnvelopeEvent): void
  /** Events not delivered yet. */
  readonly pending: number
  /**
   * Stops delivery: waits up to `flushMs` for the queue to empty (0: not at all), then aborts the
   * attempt in progress. Events still queued are lost (they live in memory, as in registry:2).
   */
  close(flushMs?: number): Promise<void>
}

/** How often a streak of failures is logged again, at most. */
const FAILURE_LOG_INTERVAL_MS = 60_000

/**
 * Delivers events to one endpoint in order, one registry:2 envelope (`{"events":[event]}`, Content-Type
 * `application/vnd.docker.distribution.events.v1+json`) per POST, with the endpoint's headers. A 2xx
 * or 3xx answer is a delivery; anything else (or no answer within the timeout) is a failure, and the
 * same event is tried again — at once until `threshold` consecutive failures, then after `backoffMs`
 * each time, until the endpoint recovers (registry:2's retrying sink). Everything runs off the request
 * path: a slow or dead endpoint only makes its own queue grow, up to `maxQueue`.
 */
export function createEndpointQueue(options: EndpointQueueOptions): EndpointQueue {
  const { name, logger, metrics } = options
  const labels = { endpoint: name }
  const maxQueue = options.maxQueue ?? 10_000
  const queue: EnvelopeEvent[] = []
  let closed = false
  let closing = false
  let wake: (() => void) | undefined
  let attempt: AbortController | undefined
  let lastFailureLog = 0
  let dropped = 0

  const headers = new Headers()
  for (const [header, values] of Object.entries(options.headers)) for (const value of values) headers.append(header, value)
  headers.set('Content-Type', ENVELOPE_MEDIA_TYPE)

  const rouse = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(rouse, ms)
      timer.unref()
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  async function deliver(event: EnvelopeEvent): Promise<string | undefined> {
    const controller = new AbortController()
    attempt = controller
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs)
    try {
      const response = await fetch(options.url, { method: 'POST', headers, body: JSON.stringify({ events: [event] }), signal: controller.signal })
      await response.body?.cancel().catch(() => undefined)
      metrics.notificationStatus.inc({ endpoint: name, code: String(response.status) })
      return response.status >= 200 && response.status < 400 ? undefined : `answered ${response.status}`
    } catch (error) {
      metrics.notificationStatus.inc({ endpoint: name, code: 'error' })
      const reason = controller.signal.aborted ? controller.signal.reason : error
      const cause = (reason as { cause?: { code?: string } })?.cause?.code
      return reason instanceof Error ? `${reason.message}${cause ? ` (${cause})` : ''}` : String(reason)
    } finally {
      clearTimeout(timer)
      attempt = undefined
    }
  }

  function logFailure(failures: number, reason: string): void {
    const now = Date.now()
    if (failures !== 1 && failures !== options.threshold && now - lastFailureLog < FAILURE_LOG_INTERVAL_MS) return
    lastFailureLog = now
    const backingOff = failures >= options.threshold
    logger.warn(
      { endpoint: name, failures, pending: queue.length, reason, ...(backingOff ? { backoffMs: options.backoffMs } : {}) },
      backingOff ? 'notification endpoint failing, retrying with backoff' : 'notification delivery failed, retrying',
    )
  }

  async function run(): Promise<void> {
    let failures = 0
    while (!closed) {
      const event = queue[0]
      if (!event) {
        if (closing) return
        await new Promise<void>((resolve) => (wake = resolve))
        continue
      }
      const failure = await deliver(event)
      if (closed) return
      if (failure === undefined) {
        if (queue[0] === event) queue.shift()
        metrics.notificationsDelivered.inc(labels)
        metrics.notificationsPending.set(labels, queue.length)
        if (failures > 0) logger.info({ endpoint: name, failures }, 'notification endpoint recovered')
        failures = 0
        continue
      }
      failures++
      metrics.notificationFailures.inc(labels)
      logFailure(failures, failure)
      if (failures >= options.threshold) await pause(options.backoffMs)
    }
  }

  metrics.notificationsPending.set(labels, 0)
  const running = run().catch((error: unknown) => logger.error({ endpoint: name, err: error }, 'notification queue stopped'))

  return {
    push(event) {
      if (closing) return
      metrics.notificationEvents.inc(labels)
      if (queue.length >= maxQueue) {
        queue.shift()
        metrics.notificationsDropped.inc(labels)
        if (dropped++ % 1000 === 0) logger.warn({ endpoint: name, maxQueue, dropped }, 'notification queue full, dropping the oldest events')
      }
      queue.push(event)
      metrics.notificationsPending.set(labels, queue.length)
      if (wake && queue.length === 1) rouse()
    },
    get pending() {
      return queue.length
    },
    async close(flushMs = 0) {
      closing = true
      if (queue.length === 0) rouse()
      if (flushMs > 0 && queue.length > 0) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, flushMs)))])
        clearTimeout(timer)
      }
      closed = true
      attempt?.abort(new Error('server shutting down'))
      rouse()
      await running
      if (queue.length > 0) logger.warn({ endpoint: name, lost: queue.length }, 'notification events not delivered before shutdown')
    },
  }
}
