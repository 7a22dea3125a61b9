import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { hash, parseOptions, verify } from '@node-rs/bcrypt'
import { createConcurrencyLimit } from './concurrency-limit.js'
import type { HtpasswdEntries } from './htpasswd-file.js'
import { createVerificationCache } from './verification-cache.js'

/**
 * Checks a user's password against htpasswd entries without letting bcrypt hurt the server:
 * - bcrypt runs on libuv's thread pool (`@node-rs/bcrypt`'s async API), never on the event loop;
 * - at most `maxConcurrent` verifications run at once and at most `maxWaiting` wait; past that an
 *   attempt is refused without hashing, so a burst of wrong passwords costs bounded CPU and leaves
 *   the thread pool (which file-system storage also uses) and the other cores to everything else;
 * - waiting attempts queue per user name (all unknown names share one line) with at most
 *   `maxWaitingPerUser` each, served round-robin: guessing one account's password cannot delay
 *   other users' logins by more than about one bcrypt per busy account;
 * - verdicts are cached (see verification-cache.ts), so a client that logged in recently, or one
 *   retrying the same wrong password, costs one HMAC instead of one bcrypt;
 * - an unknown user is checked against a dummy hash of the same cost, so response time does not
 *   tell which user names exist.
 */
export interface PasswordVerifier {
  /** `true` for a matching password; `false` for a wrong one, an unknown user or a refused attempt. */
  verify(entries: HtpasswdEntries, user: string, password: Uint8Array): Promise<boolean>
}

/** Tuning of the password verifier; every field has a sensible default. */
export interface PasswordVerifierOptions {
  /** bcrypt verifications running at once. Default: half the CPUs, at least 1. */
  maxConcurrent?: number
  /** Verifications waiting for a slot before new ones are refused. Default 64. */
  maxWaiting?: number
  /** Verifications of one user name waiting for a slot before new ones are refused. Default 4. */
  maxWaitingPerUser?: number
  /** How long a successful login is remembered. Default 5 minutes; 0 disables. */
  successTtlMs?: number
  /** How long a failed login is remembered. Default 1 minute; 0 disables. */
  failureTtlMs?: number
  /** Cached verdicts kept at most. Default 10 000. */
  maxCacheEntries?: number
}

/** Creates a `PasswordVerifier` (see above). */
export function createPasswordVerifier(options: PasswordVerifierOptions = {}): PasswordVerifier {
  const limit = createConcurrencyLimit(
    options.maxConcurrent ?? Math.max(1, Math.floor(availableParallelism() / 2)),
    options.maxWaiting ?? 64,
    options.maxWaitingPerUser ?? 4,
  )
  const cache = createVerificationCache({
    successTtlMs: options.successTtlMs ?? 5 * 60_000,
    failureTtlMs: options.failureTtlMs ?? 60_000,
    maxEntries: options.maxCacheEntries ?? 10_000,
  })
  const dummies = new Map<number, Promise<string>>()

  // A hash of a random password at the given cost, made once per cost, off the event loop.
  const dummyHash = (cost: number) => {
    let dummy = dummies.get(cost)
    if (!dummy) {
      dummy = hash(randomBytes(16), { cost })
      dummies.set(cost, dummy)
    }
    return dummy
  }

  return {
    async verify(entries, user, password) {
      const stored = entries.get(user)
      const target = stored ?? (await dummyHash(typicalCost(entries)))
      const cached = cache.get(user, target, password)
      if (cached !== undefined) return cached && stored !== undefined
      // Unknown names share one line so inventing names does not buy more places in the queue.
      const outcome = await limit.run(stored === undefined ? '\u0000unknown' : `user:${user}`, () => verify(password, target))
      if (outcome.refused) return false
      const verdict = outcome.value && stored !== undefined
      cache.set(user, target, password, verdict)
      return verdict
    },
  }
}

function typicalCost(entries: HtpasswdEntries): number {
  for (const stored of entries.values()) {
    try {
      return parseOptions(stored).cost
    } catch {
      // readHtpasswd only keeps parseable hashes; fall through to the default just in case.
    }
  }
  return 10
}
