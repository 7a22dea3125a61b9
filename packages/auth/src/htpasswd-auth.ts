import type { Access, AuthHooks, ChallengeReason, Identity } from '@wharf/core'
import { isEmptyBasic, toBasicCredentials } from './authorization-header.js'
import { isHeaderSafe, toBasicChallenge } from './challenge.js'
import type { HtpasswdWarning } from './htpasswd-file.js'
import { createHtpasswdSource } from './htpasswd-source.js'
import { createPasswordVerifier, type PasswordVerifierOptions } from './password-verifier.js'
import { createDefaultPolicy, type Policy } from './policy.js'

/** Options of `createHtpasswdAuth`. Give exactly one of `path` and `content`. */
export interface HtpasswdAuthOptions {
  /** An htpasswd file (`htpasswd -B` output); re-read when it changes. */
  path?: string
  /** htpasswd content, fixed for the life of the auth. */
  content?: string
  /** The realm of the `Basic` challenge. */
  realm: string
  /** Who may do what; default: authenticated users everything, anonymous callers nothing. */
  policy?: Policy
  /** Minimum time between two checks of the file for changes. Default 1000 ms. */
  checkIntervalMs?: number
  /** Told when a changed file could not be reloaded. Default: a process warning. */
  onReloadError?: (error: Error) => void
  /**
   * Told about each line whose user cannot log in (not bcrypt, no colon, empty user name) or that
   * repeats a user, at creation and on each reload. The message names the line and user, never the
   * hash. Default: a process warning.
   */
  onWarning?: (warning: HtpasswdWarning) => void
  /**
   * Refuse the whole file when any line would be warned about, as wharf did before: creation throws
   * an `HtpasswdError`, and a changed file with such a line is not loaded (the previous users stay).
   * Default false: such a line refuses only its user, as registry:2 does.
   */
  strict?: boolean
  /** Concurrency limit and cache of bcrypt verifications. */
  verification?: PasswordVerifierOptions
}

/**
 * Auth hooks for HTTP Basic credentials checked against an htpasswd file of bcrypt hashes, plus
 * `verifyCredentials` for the token server. See `createHtpasswdAuth`.
 */
export interface HtpasswdAuth extends AuthHooks {
  /** The identity of `user` if `password` is right, else undefined. Never rejects. */
  verifyCredentials(user: string, password: string | Uint8Array): Promise<Identity | undefined>
}

const ANONYMOUS: Identity = Object.freeze({ subject: 'anonymous', anonymous: true })

/**
 * Creates htpasswd Basic auth, the equivalent of registry:2's `auth.htpasswd`.
 *
 * - Throws at creation for a missing file (registry:2 would create one with a random `docker` user).
 * - A line that is not `user:<bcrypt hash>` (MD5, SHA, crypt, plain text, no colon, empty user)
 *   refuses only its user, answered like a wrong password, and is reported through `onWarning`
 *   naming the line and user; with `strict: true` it throws at creation instead. A user listed twice
 *   is checked against the last line, as registry:2 does (also reported).
 * - Right credentials → identity `{ subject: user, anonymous: false }`; the policy then decides.
 * - Wrong credentials (or a malformed header) → undefined, and the challenge the registry sends
 *   for that request is `Basic realm="..."`.
 * - No credentials (or an empty `Basic Og==`, which some clients send) → undefined too, unless the policy grants anonymous callers some of the
 *   requested actions (e.g. anonymous pull of public repositories): then an anonymous identity.
 *   The base endpoint `/v2/` (no access needed) always asks for credentials, as registry:2 does,
 *   so `docker login` really checks the password.
 */
export function createHtpasswdAuth(options: HtpasswdAuthOptions): HtpasswdAuth {
  if (!isHeaderSafe(options.realm)) throw new TypeError('realm must not contain control characters')
  const source = createHtpasswdSource({
    path: options.path,
    content: options.content,
    checkIntervalMs: options.checkIntervalMs,
    onError: options.onReloadError,
    onWarning: options.onWarning,
    strict: options.strict,
  })
  const verifier = createPasswordVerifier(options.verification)
  const policy = options.policy ?? createDefaultPolicy()
  const challenge = toBasicChallenge(options.realm)

  const verifyCredentials = async (user: string, password: string | Uint8Array) => {
    const bytes = typeof password === 'string' ? new TextEncoder().encode(password) : password
    const entries = await source.entries()
    const ok = await verifier.verify(entries, user, bytes)
    return ok ? { subject: user, anonymous: false } : undefined
  }

  return {
    verifyCredentials,
    async authenticate(request: Request, access: readonly Access[]) {
      const header = request.headers.get('authorization')
      if (header && !isEmptyBasic(header)) {
        const credentials = toBasicCredentials(header)
        return credentials ? verifyCredentials(credentials.user, credentials.password) : undefined
      }
      if (access.length === 0) return undefined
      for (const item of access) {
        if ((await policy.authorize(ANONYMOUS, item)).length > 0) return ANONYMOUS
      }
      return undefined
    },
    authorize: (identity: Identity, access: Access) => policy.authorize(identity, access),
    challenge: (_request: Request, _access: readonly Access[], _reason: ChallengeReason) => challenge,
  }
}
