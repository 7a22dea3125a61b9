import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toDurationMs } from '@wharf/server'

describe('durations written like registry:2', () => {
  it.each([
    ['168h', 168 * 3_600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['1m', 60_000],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['+5s', 5000],
  ])('%s is %d ms', (text, ms) => {
    expect(toDurationMs(text)).toBe(ms)
  })

  it.each(['', '10', '-5s', 'tomorrow', '1d', '5 s', 's', '1h 30m', '1.2.3s'])('%j is refused', (text) => {
    expect(toDurationMs(text)).toBeUndefined()
  })

  it('never throws and never returns a negative or non-finite value, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const ms = toDurationMs(text)
        return ms === undefined || (Number.isFinite(ms) && ms >= 0)
      }),
    )
  })
})
