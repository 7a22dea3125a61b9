import { Counter, Gauge, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { batchedCounts, flushBatched } from '../src/batched-counts.js'

describe('batched counts', () => {
  it('are all in the next scrape, series touched with a zero sum included, and never counted twice', async () => {
    const registry = new Registry()
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['k'], registers: [registry], collect: flushBatched })
    const gauge = new Gauge({ name: 'g', help: 'g', labelNames: ['k'], registers: [registry], collect: flushBatched })
    const add = batchedCounts(counter)
    const move = batchedCounts(gauge)
    add('a', { k: 'a' }, 1)
    add('a', { k: 'a' }, 2)
    add('zero', { k: 'zero' }, 0)
    move('x', { k: 'x' }, 1)
    move('x', { k: 'x' }, -1)
    move('y', { k: 'y' }, 1)
    const text = await registry.metrics()
    expect(text).toContain('c_total{k="a"} 3')
    expect(text).toContain('c_total{k="zero"} 0')
    expect(text).toContain('g{k="x"} 0')
    expect(text).toContain('g{k="y"} 1')
    add('a', { k: 'a' }, 1)
    move('y', { k: 'y' }, -1)
    const again = await registry.metrics()
    expect(again).toContain('c_total{k="a"} 4')
    expect(again).toContain('g{k="y"} 0')
  })
})
