import type { Access, AuthHooks } from '@wharf/core'

/** Where a registry with bearer-token auth sends its clients for tokens (its challenge's realm). */
export interface TokenRealm {
  realm: string
  service: string
}

/**
 * The token realm the registry's auth hooks announce, or `undefined` when they challenge with
 * anything but `Bearer` (htpasswd and other Basic hooks: the UI then presents the user's Basic
 * credentials itself). Read from the hooks' own challenge, so any token server works, not only
 * wharf's.
 */
export function toTokenRealm(auth: AuthHooks, origin: string): TokenRealm | undefined {
  const challenge = auth.challenge(new Request(`${origin}/v2/`), [], 'missing')
  if (!/^bearer\s/i.test(challenge)) return undefined
  const params = new Map<string, string>()
  for (const [, key, value] of challenge.matchAll(/([a-z_]+)="([^"]*)"/gi)) params.set(key!.toLowerCase(), value!)
  const realm = params.get('realm')
  if (realm === undefined || !URL.canParse(realm, origin)) return undefined
  return { realm: new URL(realm, origin).href, service: params.get('service') ?? '' }
}

/** The token scope of an access request, as clients ask the realm for it. */
export function toScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`
}

/** A token and when the UI stops using it (a little before the token server's own expiry). */
export interface HeldToken {
  token: string
  useUntil: number
}

/**
 * Asks the realm for a token for `scopes` with the user's Basic credentials, as docker login does
 * (GET with `service` and `scope`). `undefined` when the realm refuses the credentials (401/403);
 * anything else unexpected throws, so that a broken token server is not reported as a wrong password.
 */
export async function fetchToken(realm: TokenRealm, basic: string, scopes: readonly string[], signal?: AbortSignal): Promise<HeldToken | undefined> {
  const url = new URL(realm.realm)
  if (realm.service !== '') url.searchParams.set('service', realm.service)
  for (const scope of scopes) url.searchParams.append('scope', scope)
  const response = await fetch(url, { headers: { authorization: basic, 'user-agent': 'wharf-ui' }, ...(signal ? { signal } : {}) })
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel()
    return undefined
  }
  if (!response.ok) throw new Error(`token server answered ${response.status}`)
  const body = (await response.json()) as { token?: unknown; access_token?: unknown; expires_in?: unknown }
  const token = typeof body.token === 'string' ? body.token : body.access_token
  if (typeof token !== 'string' || token === '') throw new Error('token server answered without a token')
  // The spec's default lifetime is 60 s; stop using a token 10 s (or a sixth of its life) early.
  const lifetimeSec = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60
  return { token, useUntil: Date.now() + Math.max(lifetimeSec * 1000 - Math.min(10_000, (lifetimeSec * 1000) / 6), 1000) }
}
