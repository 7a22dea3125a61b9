import { isDriverError, type StorageDriver } from '@wharf/core'
import type { ServerMetrics } from './metrics.js'
import { isUnservedMetrics } from './unserved-metrics.js'

const ACTIONS = ['get', 'put', 'stat', 'read', 'list', 'delete', 'deletePrefix', 'startWrite', 'appendWrite', 'finishWrite', 'abortWrite', 'presignGet'] as const

/**
 * The same driver, timing every operation into `wharf_storage_operation_duration_seconds` and counting
 * real failures into `wharf_storage_errors_total`. "Not found" and a lost conditional write are answers,
 * not failures, so they are not counted. For `read` the time is until the stream is open. With
 * metrics nobody can read ({@link isUnservedMetrics}), the driver itself: timing it would cost every
 * storage call a clock reading and a promise for nothing.
 */
export function withStorageMetrics(driver: StorageDriver, metrics: ServerMetrics): StorageDriver {
  if (isUnservedMetrics(metrics)) return driver
  const measured: StorageDriver = Object.create(driver) as StorageDriver
  for (const action of ACTIONS) {
    const operation = driver[action] as ((...args: unknown[]) => Promise<unknown>) | undefined
    if (typeof operation !== 'function') continue
    const labels = { driver: driver.name, action }
    // One `then` rather than an async function awaiting the call, and a plain clock reading rather
    // than prom-client's startTimer (which allocates a closure, a label copy and two hrtime arrays):
    // a manifest GET runs two stats through here.
    const observe = (start: number) => metrics.storageActionSeconds.observe(labels, (performance.now() - start) / 1000)
    const failed = (start: number, error: unknown): never => {
      if (!isDriverError(error, 'not-found') && !isDriverError(error, 'precondition-failed')) metrics.storageErrors.inc(labels)
      observe(start)
      throw error
    }
    ;(measured as unknown as Record<string, unknown>)[action] = (...args: unknown[]): Promise<unknown> => {
      const start = performance.now()
      let call: Promise<unknown>
      try {
        call = Promise.resolve(operation.apply(driver, args))
      } catch (error) {
        // A driver throwing instead of rejecting still gives the caller a rejected promise.
        call = Promise.reject(error)
      }
      return call.then(
        (value) => {
          observe(start)
          return value
        },
        (error: unknown) => failed(start, error),
      )
    }
  }
  return measured
}
