import { describe, expect, it } from 'vitest'
import { createConcurrencyLimit } from '../src/concurrency-limit.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('concurrency limit', () => {
  it('runs at most `limit` tasks at once and refuses beyond the waiting line', async () => {
    const limit = createConcurrencyLimit(2, 3)
    let running = 0
    let peak = 0
    const task = async () => {
      running++
      peak = Math.max(peak, running)
      await sleep(20)
      running--
      return 'done'
    }
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => limit.run('k', task)))
    expect(peak).toBe(2)
    expect(outcomes.filter((o) => o.refused)).toHaveLength(3)
    expect(outcomes.filter((o) => !o.refused)).toHaveLength(5)
    expect(limit.active).toBe(0)
    expect(limit.waiting).toBe(0)
  })

  it('serves keys in turn, so a flooded key does not delay another', async () => {
    // Ordered by events, not by sleeps: the first task holds the only slot until every other one
    // is queued, so the order in which the rest run is the limiter's choice alone.
    const limit = createConcurrencyLimit(1, 100, 50)
    const order: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const task = (name: string) => async () => {
      order.push(name)
      if (order.length === 1) await held
    }
    const flood = Array.from({ length: 10 }, (_, i) => limit.run('attacked', task(`attacked-${i}`)))
    const other = limit.run('other', task('other'))
    release()
    await Promise.all([...flood, other])
    expect(order).toHaveLength(11)
    expect(order.indexOf('other')).toBeLessThanOrEqual(2)
  })

  it('caps the waiting line of one key', async () => {
    const limit = createConcurrencyLimit(1, 100, 2)
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => limit.run('k', () => sleep(5))))
    expect(outcomes.filter((o) => o.refused)).toHaveLength(3)
    expect((await limit.run('k', async () => 1))).toEqual({ refused: false, value: 1 })
  })

  it('frees the slot when a task fails', async () => {
    const limit = createConcurrencyLimit(1, 1)
    await expect(limit.run('k', async () => { throw new Error('boom') })).rejects.toThrow('boom')
    expect(await limit.run('k', async () => 'ok')).toEqual({ refused: false, value: 'ok' })
  })
})
