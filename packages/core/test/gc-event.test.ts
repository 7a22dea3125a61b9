import { describe, expect, it } from 'vitest'
import { createMemoryDriver, createRegistry, type GarbageCollectionEvent, type RegistryEvent } from '@wharf/core'

describe('the gc event', () => {
  it('is emitted with the report when collectGarbage finishes, to gc listeners only', async () => {
    const registry = createRegistry({ storage: createMemoryDriver() })
    const collections: GarbageCollectionEvent[] = []
    const others: RegistryEvent[] = []
    registry.events.on('gc', (event) => collections.push(event))
    registry.events.on('*', (event) => others.push(event))
    const report = await registry.collectGarbage({ dryRun: true })
    expect(collections).toEqual([{ action: 'gc', report, timestamp: expect.any(Date) }])
    expect(others).toEqual([])
  })

  it('stops when its listener is removed, and a throwing listener does not fail the collection', async () => {
    const registry = createRegistry({ storage: createMemoryDriver() })
    let calls = 0
    const off = registry.events.on('gc', () => {
      calls++
      throw new Error('listener bug')
    })
    await registry.collectGarbage()
    off()
    await registry.collectGarbage()
    expect(calls).toBe(1)
  })
})
