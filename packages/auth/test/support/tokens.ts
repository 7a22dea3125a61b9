import type { KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { createTokenServer, toLibtrustKeyId, type TokenServerOptions } from '@wharf/auth'
import { toBasic } from './requests.js'

/** Asks a token handler for a token, the way docker does (GET with optional Basic credentials). */
export async function fetchToken(
  handler: (request: Request) => Promise<Response>,
  scopes: string[],
  credentials?: [string, string],
  service = 'registry.test',
): Promise<string> {
  const url = new URL('http://auth.test/token')
  url.searchParams.set('service', service)
  for (const scope of scopes) url.searchParams.append('scope', scope)
  const headers = credentials ? { authorization: toBasic(...credentials) } : undefined
  const response = await handler(new Request(url, { headers }))
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`)
  return ((await response.json()) as { token: string }).token
}

/** A token server for the test service, everyone in `users` with password `${user}-pw`. */
export function newTokenServer(signingKey: KeyObject, overrides: Partial<TokenServerOptions> = {}) {
  return createTokenServer({
    issuer: 'wharf-test-issuer',
    service: 'registry.test',
    signingKey,
    authenticate: (user, password) => password === `${user}-pw`,
    ...overrides,
  })
}

/** Signs arbitrary claims with `key`, for tokens no well-behaved token server would issue. */
export function signClaims(key: KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: toLibtrustKeyId(key), ...header }).sign(key)
}
