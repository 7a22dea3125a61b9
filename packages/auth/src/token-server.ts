import { randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import type { Access, Identity } from '@wharf/core'
import { isHeaderSafe, toBasicChallenge } from './challenge.js'
import type { HtpasswdAuth } from './htpasswd-auth.js'
import { toLibtrustKeyId } from './libtrust-key-id.js'
import { createDefaultPolicy, type Policy } from './policy.js'
import { toRequestedAccess } from './scope.js'
import { toDefaultAlgorithm, toPrivateKey, type SigningKeyInput } from './signing-key.js'
import { toTokenRequest } from './token-request.js'

/**
 * How the token server checks a user name and password: an htpasswd auth, or a function answering
 * `true`/`false` or the caller's identity (e.g. with `groups` for group rules of the policy).
 */
export type TokenServerAuthenticate =
  | Pick<HtpasswdAuth, 'verifyCredentials'>
  | ((user: string, password: string) => Promise<boolean | Identity> | boolean | Identity)

/** Options of `createTokenServer`. */
export interface TokenServerOptions {
  /** `iss` of the tokens; the registry's `issuer` setting must be the same. */
  issuer: string
  /** The registry's service name; a request for another service is refused, tokens carry it as `aud`. */
  service: string
  /** The private key tokens are signed with. */
  signingKey: SigningKeyInput
  /** JWS algorithm; default from the key (RS256 for RSA, ES256 for P-256, …). */
  alg?: string
  /** `kid` header; default the libtrust key id of the key, which registry:2 with a `rootcertbundle` needs. */
  kid?: string
  /** Base64 DER certificates (leaf first) to send as the `x5c` header, for verifiers that want a chain. */
  x5c?: readonly string[]
  authenticate: TokenServerAuthenticate
  /** Who may do what; default: authenticated users everything, anonymous callers nothing. */
  policy?: Policy
  /** Token lifetime. Default 300 s. */
  expiresInSec?: number
  /** Realm of the Basic challenge answered to wrong credentials. Default: the issuer. */
  realm?: string
}

/** A Web-standard request handler. */
export type TokenHandler = (request: Request) => Promise<Response>

/**
 * Creates a Docker token-spec token endpoint. Mount it at the URL given as `realm` to
 * `createTokenAuth`; the path is not checked.
 *
 * - `GET ?service=S&scope=repository:NAME:pull,push&scope=…` with optional Basic credentials, and
 *   the OAuth2 `POST` form with `grant_type=password`.
 * - No credentials → an anonymous token holding what the policy gives anonymous callers (possibly
 *   nothing, which still opens `/v2/`). Wrong credentials → 401 and no token.
 * - The token's `access` claim is the intersection of the requested scopes with the policy.
 * - Answers `{ token, access_token, expires_in, issued_at }` (plus `scope` on the OAuth2 form) with
 *   `Cache-Control: no-store`. Never throws: unexpected failures become a 500 without details.
 */
export function createTokenServer(options: TokenServerOptions): TokenHandler {
  for (const [name, value] of [['issuer', options.issuer], ['service', options.service]] as const) {
    if (typeof value !== 'string' || value === '' || !isHeaderSafe(value)) throw new TypeError(`${name} must be a non-empty string without control characters`)
  }
  const key: KeyObject = toPrivateKey(options.signingKey)
  const alg = options.alg ?? toDefaultAlgorithm(key)
  const kid = options.kid ?? toLibtrustKeyId(key)
  const expiresIn = options.expiresInSec ?? 300
  if (!Number.isInteger(expiresIn) || expiresIn < 1) throw new RangeError('expiresInSec must be a positive integer')
  const policy = options.policy ?? createDefaultPolicy()
  const challenge = toBasicChallenge(options.realm ?? options.issuer)
  const checkPassword = toPasswordCheck(options.authenticate)

  const handle = async (request: Request): Promise<Response> => {
    const parsed = await toTokenRequest(request)
    if (parsed.kind === 'error') {
      return toError(parsed.form, parsed.status, parsed.code, parsed.message, parsed.challenge ? challenge : undefined)
    }
    const { form } = parsed
    if (parsed.service !== undefined && parsed.service !== options.service) {
      return toError(form, 400, form === 'oauth' ? 'invalid_request' : 'DENIED', `unknown service ${JSON.stringify(parsed.service)}`)
    }
    const requested = toRequestedAccess(parsed.scopes)
    if (requested === 'malformed') return toError(form, 400, form === 'oauth' ? 'invalid_scope' : 'DENIED', 'malformed scope')

    let identity: Identity = { subject: 'anonymous', anonymous: true }
    if (parsed.credentials) {
      const found = await checkPassword(parsed.credentials.user, parsed.credentials.password)
      if (!found) return toError(form, 401, form === 'oauth' ? 'invalid_grant' : 'UNAUTHORIZED', 'wrong user name or password', challenge)
      identity = found
    }

    const access: Access[] = []
    for (const item of requested) {
      const allowed = await policy.authorize(identity, item)
      const actions = item.actions.filter((action) => allowed.includes(action))
      if (actions.length > 0) access.push({ type: item.type, name: item.name, actions })
    }

    const now = Math.floor(Date.now() / 1000)
    const jwt = new SignJWT({ access })
      .setProtectedHeader({ alg, kid, typ: 'JWT', ...(options.x5c ? { x5c: [...options.x5c] } : {}) })
      .setIssuer(options.issuer)
      .setAudience(options.service)
      .setIssuedAt(now)
      // A little slack for registries whose clock runs slightly behind ours.
      .setNotBefore(now - 10)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
    if (!identity.anonymous) jwt.setSubject(identity.subject)
    const token = await jwt.sign(key)
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    }
    if (form === 'oauth') body['scope'] = access.map((item) => `${item.type}:${item.name}:${item.actions.join(',')}`).join(' ')
    return toJson(200, body)
  }

  return async (request) => {
    try {
      return await handle(request)
    } catch {
      return toJson(500, { errors: [{ code: 'UNKNOWN', message: 'token could not be issued' }] })
    }
  }
}

function toPasswordCheck(authenticate: TokenServerAuthenticate): (user: string, password: Uint8Array) => Promise<Identity | undefined> {
  if (typeof authenticate !== 'function') {
    return (user, password) => authenticate.verifyCredentials(user, password)
  }
  return async (user, password) => {
    const text = new TextDecoder().decode(password)
    const answer = await authenticate(user, text)
    if (answer === true) return { subject: user, anonymous: false }
    if (answer && typeof answer === 'object' && answer.anonymous === false) return answer
    return undefined
  }
}

function toError(form: 'get' | 'oauth', status: number, code: string, message: string, challenge?: string): Response {
  const body = form === 'oauth' ? { error: code, error_description: message } : { errors: [{ code, message }] }
  const response = toJson(status, body)
  if (challenge) response.headers.set('www-authenticate', challenge)
  return response
}

function toJson(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  })
}
