import { createMemoryDriver, DriverError } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { createServerMetrics } from '../src/metrics.js'
import { withStorageMetrics } from '../src/storage-metrics.js'

const count = async (metrics: ReturnType<typeof createServerMetrics>, name: string, action: string) =>
  (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels['action'] === action && !('le' in v.labels) && (v.metricName ?? name).match(/_count$|_total$/))?.value ?? 0

describe('storage metrics wrapper', () => {
  it('times answers and failures alike, counts only real failures, and turns a thrown error into a rejection', async () => {
    const metrics = createServerMetrics()
    const memory = createMemoryDriver()
    const failing = Object.assign(Object.create(memory), {
      stat: () => {
        throw new DriverError('unavailable', 'down', { driver: 'memory' })
      },
    })
    const measured = withStorageMetrics(failing, metrics)
    await measured.put('a', new Uint8Array([1]))
    await expect(measured.get('missing')).rejects.toMatchObject({ kind: 'not-found' })
    const thrown = measured.stat('a')
    expect(thrown).toBeInstanceOf(Promise)
    await expect(thrown).rejects.toMatchObject({ kind: 'unavailable' })
    expect(await count(metrics, 'wharf_storage_operation_duration_seconds', 'put')).toBe(1)
    expect(await count(metrics, 'wharf_storage_operation_duration_seconds', 'get')).toBe(1)
    expect(await count(metrics, 'wharf_storage_operation_duration_seconds', 'stat')).toBe(1)
    expect(await count(metrics, 'wharf_storage_errors_total', 'get')).toBe(0)
    expect(await count(metrics, 'wharf_storage_errors_total', 'stat')).toBe(1)
  })
})
