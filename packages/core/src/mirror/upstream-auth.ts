/**
 * Authentication towards one upstream: anonymous, Basic, or the Docker token flow (a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token fetched from the realm, then the
 * request again with it). Credentials go only to the upstream's own origin (Basic) and to the realm
 * the upstream named in its challenge (to obtain a token); never to a redirect target elsewhere.
 */

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer'
  params: Record<string, string>
}

const PARAM = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g

/** The first Basic or Bearer challenge of a `WWW-Authenticate` value; `undefined` for others. */
export function parseChallenge(header: string | null): Challenge | undefined {
  const match = header ? /^\s*(basic|bearer)\b(.*)$/i.exec(header) : null
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const [, key, quoted, bare] of match[2]!.matchAll(PARAM)) params[key!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare!
  return { scheme: match[1]!.toLowerCase() as Challenge['scheme'], params }
}

/** What the client of one upstream needs to authenticate its requests. */
export interface UpstreamAuth {
  /** The `Authorization` header to send for `scope` now (from what earlier challenges taught), if any. */
  header(scope: string): string | undefined
  /**
   * Learns from a 401's challenge; resolves whether one retry may succeed (a new token was
   * obtained, or Basic credentials are configured and were not sent yet).
   */
  answer(challenge: Challenge | undefined, scope: string, sent: string | undefined, signal: AbortSignal): Promise<boolean>
}

/** Thrown when a token cannot be obtained; the caller reports it as an `auth` upstream error. */
export class UpstreamAuthError extends Error {}

export function createUpstreamAuth(options: { username?: string; password?: string; fetch: typeof fetch }): UpstreamAuth {
  const basic = options.username !== undefined ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined
  let scheme: 'none' | 'basic' | 'bearer' = 'none'
  const tokens = new Map<string, { header: string; until: number }>()

  async function fetchToken(challenge: Challenge, scope: string, signal: AbortSignal): Promise<string> {
    const realm = challenge.params['realm']
    if (!realm || !/^https?:\/\//i.test(realm)) throw new UpstreamAuthError('the upstream challenge has no usable realm')
    const url = new URL(realm)
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service'])
    url.searchParams.set('scope', scope)
    // The realm named by the upstream is the one other place the credentials may go.
    const response = await options.fetch(url, { headers: basic ? { Authorization: basic } : {}, redirect: 'error', signal })
    if (!response.ok) {
      await response.body?.cancel()
      throw new UpstreamAuthError(`the token realm answered ${response.status}`)
    }
    const body = (await response.json()) as { token?: unknown; access_token?: unknown; expires_in?: unknown }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined
    if (!token) throw new UpstreamAuthError('the token realm answered no token')
    // The spec's default lifetime is 60 s; renew a little early so a token never expires in flight.
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60
    const header = `Bearer ${token}`
    tokens.set(scope, { header, until: Date.now() + Math.max(1, seconds - 10) * 1000 })
    return header
  }

  return {
    header(scope) {
      if (scheme === 'basic') return basic
      if (scheme !== 'bearer') return undefined
      const cached = tokens.get(scope)
      if (cached && cached.until > Date.now()) return cached.header
      tokens.delete(scope)
      return undefined
    },
    async answer(challenge, scope, sent, signal) {
      if (challenge?.scheme === 'basic') {
        if (!basic || sent === basic) return false
        scheme = 'basic'
        return true
      }
      if (challenge?.scheme === 'bearer') {
        scheme = 'bearer'
        // The caller retries once after this: a fresh token refused again is the upstream's answer.
        tokens.delete(scope)
        await fetchToken(challenge, scope, signal)
        return true
      }
      return false
    },
  }
}
