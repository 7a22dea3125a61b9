import { isDriverError, type StorageDriver } from '@wharf/core'
import type { ServerMetrics } from './metrics.js'

const ACTIONS = ['get', 'put', 'stat', 'read', 'list', 'delete', 'deletePrefix', 'startWrite', 'appendWrite', 'finishWrite', 'abortWrite', 'presignGet'] as const

/**
 * The same driver, timing every operation into `wharf_storage_operation_duration_seconds` and counting
 * real failures into `wharf_storage_errors_total`. "Not found" and a lost conditional write are answers,
 * not failures, so they are not counted. For `read` the time is until the stream is open.
 */
export function withStorageMetrics(driver: StorageDriver, metrics: ServerMetrics): StorageDriver {
  const measured: StorageDriver = Object.create(driver) as StorageDriver
  for (const action of ACTIONS) {
    const operation = driver[action] as ((...args: unknown[]) => Promise<unknown>) | undefined
    if (typeof operation !== 'function') continue
    const labels = { driver: driver.name, action }
    ;(measured as unknown as Record<string, unknown>)[action] = async (...args: unknown[]) => {
      const end = metrics.storageActionSeconds.startTimer(labels)
      try {
        return await operation.apply(driver, args)
      } catch (error) {
        if (!isDriverError(error, 'not-found') && !isDriverError(error, 'precondition-failed')) metrics.storageErrors.inc(labels)
        throw error
      } finally {
        end()
      }
    }
  }
  return measured
}
