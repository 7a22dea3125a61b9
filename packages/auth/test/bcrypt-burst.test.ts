import { stat } from 'node:fs/promises'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { hash, verify } from '@node-rs/bcrypt'
import { describe, expect, it } from 'vitest'
import { createHtpasswdAuth, type HtpasswdAuth } from '@wharf/auth'
import { pull, toBasic, toRequest } from './support/requests.js'

// A production-like cost: ~290 ms per bcrypt on the 2-core machine this was written on. Were bcrypt
// on the event loop, every wrong login would block it that long, far above the bounds checked here.
const COST = 12
const WRONG_PER_SECOND = 50
const DURATION_MS = 2500

interface BurstFigures {
  cheapP50: number
  cheapP99: number
  cheapMax: number
  statP99: number
  loopP99: number
  loopMax: number
  wrongAnswered: number
  wrongSent: number
  newLoginMs: number
}

/**
 * Sends WRONG_PER_SECOND wrong logins (each a new password, so no cache helps) for DURATION_MS
 * while a logged-in client keeps sending requests every 10 ms and a file-system call runs every
 * 10 ms; measures their latency and the event-loop delay. At the end, one new user logs in.
 */
async function measureBurst(auth: HtpasswdAuth, perSecond: number, guessUser: (i: number) => string): Promise<BurstFigures> {
  const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? 0
  expect(await auth.authenticate(toRequest(toBasic('alice', 'alice-pw')), [pull('x')])).toBeDefined() // now cached

  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const cheap: number[] = []
  const stats: number[] = []
  const wrong: Promise<unknown>[] = []
  const started = performance.now()
  let sent = 0
  let answered = 0
  while (performance.now() - started < DURATION_MS) {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond)
    for (; sent < due; sent++) {
      wrong.push(auth.authenticate(toRequest(toBasic(guessUser(sent), `guess-${sent}`)), [pull('x')]).then((identity) => {
        expect(identity).toBeUndefined()
        answered++
      }))
    }
    const t0 = performance.now()
    expect(await auth.authenticate(toRequest(toBasic('alice', 'alice-pw')), [pull('x')])).toBeDefined()
    cheap.push(performance.now() - t0)
    const t1 = performance.now()
    await stat(import.meta.filename ?? '.')
    stats.push(performance.now() - t1)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  loop.disable()
  const t2 = performance.now()
  expect(await auth.authenticate(toRequest(toBasic('bob', 'bob-pw')), [pull('x')])).toBeDefined()
  const newLoginMs = performance.now() - t2
  await Promise.all(wrong)
  return {
    cheapP50: percentile(cheap, 50),
    cheapP99: percentile(cheap, 99),
    cheapMax: Math.max(...cheap),
    statP99: percentile(stats, 99),
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    wrongAnswered: answered,
    wrongSent: sent,
    newLoginMs,
  }
}

const round = (figures: BurstFigures) => Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v * 10) / 10]))

describe('a burst of wrong passwords', () => {
  it('does not stall the event loop, logged-in clients or other users\' logins', async () => {
    const content = [`alice:${await hash('alice-pw', { cost: COST, version: '2y' })}`, `bob:${await hash('bob-pw', { cost: COST, version: '2y' })}`].join('\n')
    // The bounds scale with how long one bcrypt takes on this machine now, so a loaded CI machine
    // (where everything is slower) does not fail the test while a real stall still would.
    const t0 = performance.now()
    await verify('x', content.split('\n')[0]!.slice('alice:'.length))
    const bcryptMs = performance.now() - t0
    console.log(`one bcrypt verification at cost ${COST}: ${bcryptMs.toFixed(1)} ms`)
    const scenarios = [
      ['no burst (baseline)', 0, () => 'alice'],
      [`${WRONG_PER_SECOND}/s wrong passwords for one user`, WRONG_PER_SECOND, () => 'alice'],
      [`${WRONG_PER_SECOND}/s wrong logins of invented users`, WRONG_PER_SECOND, (i: number) => `nobody-${i}`],
    ] as const
    for (const [name, perSecond, guessUser] of scenarios) {
      // A fresh auth per scenario: nothing cached or queued from the one before.
      const figures = await measureBurst(createHtpasswdAuth({ content, realm: 'r' }), perSecond, guessUser)
      console.log(`bcrypt cost ${COST}, ${name}, ${DURATION_MS} ms, default limits; figures in ms except counts:`, round(figures))
      expect(figures.cheapP99).toBeLessThan(bcryptMs / 3)
      expect(figures.loopP99).toBeLessThan(bcryptMs / 3)
      expect(figures.statP99).toBeLessThan(bcryptMs / 3)
      // The new user waits for at most the verification running and one per other busy line, then its own.
      expect(figures.newLoginMs).toBeLessThan(bcryptMs * 6)
      expect(figures.wrongAnswered).toBe(figures.wrongSent)
    }
  })
})
