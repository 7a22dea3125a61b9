import type { Access, Action, AuthHooks, ChallengeReason, Identity } from '@wharf/core'
import { toClaimedActions, type AccessClaim } from './access-claim.js'
import { toBearerToken } from './authorization-header.js'
import { isHeaderSafe, toBearerChallenge } from './challenge.js'
import type { Policy } from './policy.js'
import { loadTrustedKeys, type TokenKeys, type TrustedKeys } from './token-keys.js'
import { verifyToken } from './token-verifier.js'

/** Options of `createTokenAuth`, named as registry:2's `auth.token` settings. */
export interface TokenAuthOptions {
  /** The token endpoint clients are sent to (`realm` of the challenge), e.g. `https://auth.example.com/token`. */
  realm: string
  /** This registry's name: sent as `service` in challenges, required in the token's `aud`. */
  service: string
  /** The token issuer, required in the token's `iss`. */
  issuer: string
  /** Keys trusted to sign tokens (certificate bundle, JWKS, public key). */
  keys: TokenKeys
  /**
   * An extra restriction applied by the registry on top of the token's `access` claim (a token
   * never grants more than its claim). Default: none, the claim alone decides.
   */
  policy?: Policy
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 60, as registry:2. */
  clockToleranceSec?: number
  /** JWS algorithms accepted. Default: RS/PS/ES 256-512 and EdDSA. */
  algorithms?: readonly string[]
}

/**
 * Identity of a bearer token's caller. `anonymous` when the token has no `sub` (the token server
 * issued it without credentials). `token` carries the verified claims for the host's own hooks
 * and logs. `challengeWhenDenied` asks the registry to answer a missing action with a 401
 * `insufficient_scope` challenge rather than 403, as the Docker token flow expects: the client then
 * asks the token server for the wider scope instead of giving up.
 */
export interface TokenIdentity extends Identity {
  readonly token: { readonly claims: Readonly<Record<string, unknown>>; readonly access: AccessClaim }
  readonly challengeWhenDenied: true
}

/**
 * Creates Docker token-spec bearer auth, the equivalent of registry:2's `auth.token`.
 *
 * Keys are read and checked now (a bad certificate, key or JWKS throws); a remote JWKS is fetched
 * on first use. `authenticate` answers
 * undefined without a Bearer token or for one that fails verification (then the challenge carries
 * `error="invalid_token"`). `authorize` grants the requested actions the token's `access` claim holds
 * for that exact resource (`registry:catalog:*` included), intersected with `policy` if given.
 */
export function createTokenAuth(options: TokenAuthOptions): AuthHooks {
  for (const [name, value] of [['realm', options.realm], ['service', options.service], ['issuer', options.issuer]] as const) {
    if (typeof value !== 'string' || value === '' || !isHeaderSafe(value)) throw new TypeError(`${name} must be a non-empty string without control characters`)
  }
  const keys: TrustedKeys = loadTrustedKeys(options.keys)
  const checks = {
    issuer: options.issuer,
    service: options.service,
    clockToleranceSec: options.clockToleranceSec ?? 60,
    algorithms: options.algorithms,
  }
  // Identities this instance issued, with their claim: a look-alike object from elsewhere gets nothing.
  const issued = new WeakMap<Identity, AccessClaim>()
  // Requests whose token was rejected, so their challenge says `invalid_token`.
  const rejected = new WeakSet<Request>()

  return {
    async authenticate(request: Request) {
      const token = toBearerToken(request.headers.get('authorization'))
      if (token === undefined) return undefined
      const verified = await verifyToken(token, keys, checks)
      if (!verified) {
        rejected.add(request)
        return undefined
      }
      const subject = typeof verified.payload.sub === 'string' ? verified.payload.sub : ''
      const identity: TokenIdentity = {
        subject: subject || 'anonymous',
        anonymous: subject === '',
        challengeWhenDenied: true,
        token: { claims: verified.payload, access: verified.access },
      }
      issued.set(identity, verified.access)
      return identity
    },
    async authorize(identity: Identity, access: Access): Promise<readonly Action[]> {
      const claim = issued.get(identity)
      if (!claim) return []
      const granted = toClaimedActions(claim, access)
      if (!options.policy || granted.length === 0) return granted
      const allowed = await options.policy.authorize(identity, { ...access, actions: granted })
      return granted.filter((action) => allowed.includes(action))
    },
    challenge(request: Request, access: readonly Access[], reason: ChallengeReason) {
      // The registry says `invalid` whenever an Authorization header was sent; only a Bearer token
      // this instance rejected is an invalid token (a stray Basic header just means "no token yet").
      let effective = reason
      if (rejected.has(request)) effective = reason === 'insufficient_scope' ? reason : 'invalid'
      else if (reason === 'invalid') effective = 'missing'
      return toBearerChallenge(options, access, effective)
    },
  }
}
