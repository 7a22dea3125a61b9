import { stat } from 'node:fs/promises'
import { hash } from '@node-rs/bcrypt'
import { describe, expect, it } from 'vitest'
import { createHtpasswdAuth } from '@wharf/auth'
import { pull, toBasic, toRequest } from './support/requests.js'

// A production-like cost: ~290 ms per bcrypt on a 2-core machine. These tests check the ORDER in
// which things finish while wrong logins are being verified, never how long anything took: a slow
// or loaded machine slows bcrypt at least as much as the cheap work, so the order still holds.
const COST = 12

async function burstSetup() {
  const content = [`alice:${await hash('alice-pw', { cost: COST, version: '2y' })}`, `bob:${await hash('bob-pw', { cost: COST, version: '2y' })}`].join('\n')
  // One verification at a time, as on a 2-core machine by default, so the lines below are deterministic.
  const auth = createHtpasswdAuth({ content, realm: 'r', verification: { maxConcurrent: 1 } })
  const login = (user: string, password: string) => auth.authenticate(toRequest(toBasic(user, password)), [pull('x')])
  let answered = 0
  const burst = (count: number, user: (i: number) => string) =>
    Array.from({ length: count }, (_, i) =>
      login(user(i), `guess-${i}`).then((identity) => {
        expect(identity).toBeUndefined()
        answered++
      }),
    )
  return { login, burst, answered: () => answered }
}

describe('a burst of wrong passwords', () => {
  it('does not hold back the event loop, the file system or a logged-in client', async () => {
    // Invariant: bcrypt runs off the event loop and cached logins skip it, so all three finish
    // while the wrong passwords are still being verified.
    const { login, burst, answered } = await burstSetup()
    expect(await login('alice', 'alice-pw')).toBeDefined() // now cached
    const wrong = [...burst(4, () => 'alice'), ...burst(4, (i) => `nobody-${i}`)]
    const pending = () => wrong.length - answered()

    const atImmediate = await new Promise<number>((resolve) => setImmediate(() => resolve(pending())))
    await stat(import.meta.filename ?? '.')
    const atStat = pending()
    expect(await login('alice', 'alice-pw')).toBeDefined()
    const atCachedLogin = pending()
    await Promise.all(wrong)

    expect(atImmediate).toBeGreaterThan(0)
    expect(atStat).toBeGreaterThan(0)
    expect(atCachedLogin).toBeGreaterThan(0)
    expect(answered()).toBe(wrong.length)
  })

  it('lets another user log in ahead of the guesses queued for one account and for invented names', async () => {
    // Invariant: waiting verifications are served round-robin by user name (invented names share
    // one line), so a new user's login starts after at most one verification per busy line, not
    // after every queued guess.
    const { login, burst, answered } = await burstSetup()
    const wrong = [...burst(5, () => 'alice'), ...burst(5, (i) => `nobody-${i}`)]
    const bob = await login('bob', 'bob-pw')
    const pendingWhenBobIn = wrong.length - answered()
    await Promise.all(wrong)
    expect(bob).toBeDefined()
    // Running: 1; waiting: alice 4, nobody 4 (the 5th of each is refused at once: lines hold 4).
    // Bob waits for the running one and at most one of each line: 8 - 2 = 6 still pending, or more.
    expect(pendingWhenBobIn).toBeGreaterThanOrEqual(5)
  })
})
