import { context, trace, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api'
import { isDriverError } from '../driver/driver-error.js'
import type { StorageDriver, WriteState } from '../driver/storage-driver.js'
import { toTracer, type TracingOptions } from './tracing-options.js'

const KEYED_ACTIONS = ['get', 'put', 'stat', 'read', 'list', 'delete', 'deletePrefix', 'startWrite', 'presignGet'] as const
const WRITE_ACTIONS = ['appendWrite', 'finishWrite', 'abortWrite'] as const

/**
 * The same driver, with an OpenTelemetry span `storage.<action>` (`storage.get`, `storage.put`,
 * `storage.appendWrite`, …) around each operation, child of the span active when it is called, with
 * attributes `storage.driver` (the driver's name), `storage.key` (the key, the list or delete prefix,
 * or the resumable write's key) and, for `put`, `storage.bytes`.
 *
 * Promises:
 * - A span is made only under a recording parent span (a request's, or one the host opened around
 *   `collectGarbage()`, say). Anything else — no SDK installed, a request sampled out, the health
 *   probe, timers — calls the driver directly: the cost is one context lookup per call.
 * - "Not found" and a lost conditional write are answers, not failures: the span gets
 *   `storage.outcome` (`not-found`, `precondition-failed`) and keeps status UNSET. Any other error
 *   is recorded on the span with status ERROR, and rethrown unchanged.
 * - `read`'s span ends when the stream is open (the bytes flow under the request's span).
 * - Results, errors and `this` are the driver's own; optional methods stay absent when absent.
 */
export function traceStorage(driver: StorageDriver, options: TracingOptions = {}): StorageDriver {
  const tracer = toTracer(options)
  const traced = Object.create(driver) as StorageDriver
  const wrap = (action: string, toAttributes: (args: unknown[]) => Attributes) => {
    const operation = (driver as unknown as Record<string, unknown>)[action]
    if (typeof operation !== 'function') return
    ;(traced as unknown as Record<string, unknown>)[action] = (...args: unknown[]): Promise<unknown> => {
      const parent = context.active()
      if (trace.getSpan(parent)?.isRecording() !== true) return operation.apply(driver, args) as Promise<unknown>
      const attributes = { 'storage.driver': driver.name, ...toAttributes(args) }
      return tracer.startActiveSpan(`storage.${action}`, { kind: SpanKind.INTERNAL, attributes }, parent, async (span) => {
        try {
          return await (operation.apply(driver, args) as Promise<unknown>)
        } catch (error) {
          if (isDriverError(error, 'not-found')) span.setAttribute('storage.outcome', 'not-found')
          else if (isDriverError(error, 'precondition-failed')) span.setAttribute('storage.outcome', 'precondition-failed')
          else {
            span.recordException(error instanceof Error ? error : String(error))
            span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
          }
          throw error
        } finally {
          span.end()
        }
      })
    }
  }
  for (const action of KEYED_ACTIONS) {
    wrap(action, (args) => {
      const attributes: Attributes = { 'storage.key': String(args[0]) }
      if (action === 'put' && args[1] instanceof Uint8Array) attributes['storage.bytes'] = args[1].byteLength
      return attributes
    })
  }
  for (const action of WRITE_ACTIONS) wrap(action, (args) => ({ 'storage.key': (args[0] as WriteState).key }))
  return traced
}
