import { createHmac, randomBytes } from 'node:crypto'

/**
 * Remembers recent bcrypt verdicts so a client sending the same Basic credentials on every request
 * pays bcrypt once per `ttlMs`, and a client retrying a wrong password does not make the server pay
 * again either. Entries are keyed by HMAC-SHA256 (with a key that never leaves this process) of the
 * user, the stored hash and the password: no password or password hash is kept, a cache dump is
 * useless without the key, and a changed htpasswd line changes the key so old verdicts never apply.
 * The cache is bounded: the oldest entries are dropped past `maxEntries`.
 */
export interface VerificationCache {
  /** The cached verdict, or undefined when unknown or expired. */
  get(user: string, storedHash: string, password: Uint8Array): boolean | undefined
  set(user: string, storedHash: string, password: Uint8Array, verdict: boolean): void
}

/** Options of `createVerificationCache`; `ttlMs` 0 turns caching off. */
export interface VerificationCacheOptions {
  successTtlMs: number
  failureTtlMs: number
  maxEntries: number
  now?: () => number
}

/** Creates a `VerificationCache` (see above). */
export function createVerificationCache(options: VerificationCacheOptions): VerificationCache {
  const key = randomBytes(32)
  const now = options.now ?? Date.now
  const entries = new Map<string, { verdict: boolean; expiresAt: number }>()

  const toKey = (user: string, storedHash: string, password: Uint8Array) => {
    const hmac = createHmac('sha256', key)
    // Length prefixes keep (user, hash, password) unambiguous whatever bytes they contain.
    for (const part of [Buffer.from(user, 'utf8'), Buffer.from(storedHash, 'utf8'), password]) {
      const length = Buffer.alloc(4)
      length.writeUInt32BE(part.length)
      hmac.update(length).update(part)
    }
    return hmac.digest('base64')
  }

  return {
    get(user, storedHash, password) {
      const id = toKey(user, storedHash, password)
      const entry = entries.get(id)
      if (!entry) return undefined
      if (entry.expiresAt <= now()) {
        entries.delete(id)
        return undefined
      }
      return entry.verdict
    },
    set(user, storedHash, password, verdict) {
      const ttl = verdict ? options.successTtlMs : options.failureTtlMs
      if (ttl <= 0 || options.maxEntries <= 0) return
      const id = toKey(user, storedHash, password)
      entries.delete(id)
      entries.set(id, { verdict, expiresAt: now() + ttl })
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value
        if (oldest === undefined) break
        entries.delete(oldest)
      }
    },
  }
}
