import type { Access, Action, AuthHooks, Identity, Registry } from '@wharf/core'
import type { Session } from './sessions.js'
import { fetchToken, toScope, toTokenRealm, type TokenRealm } from './token-login.js'

/** The person behind one UI request: what they may do, and /v2 calls made as them. */
export interface Viewer {
  registry: Registry
  identity: Identity
  session: Session
  /** Actions held on a repository (`pull`, `push`, `delete`; `*` expanded), remembered per request. */
  actions(repository: string): Promise<ReadonlySet<Action>>
  /**
   * Works out the actions on many repositories at once before `actions` is asked for each: with
   * bearer-token auth, one token request per 100 repositories instead of one per repository.
   */
  prepare(repositories: readonly string[]): Promise<void>
  /** Calls the registry's own /v2 API with this user's credentials: the registry checks them again. */
  v2(path: string, init?: { method?: string; accept?: string }): Promise<Response>
}

const ALL: Action[] = ['pull', 'push', 'delete']
/** Every manifest type, so the registry answers any manifest as stored. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
].join(', ')

/** A request the auth hooks can read: the session's credentials, nothing else of the browser's. */
function toAuthRequest(origin: string, authorization: string | undefined): Request {
  return new Request(`${origin}/v2/`, { headers: authorization ? { authorization } : {} })
}

/** The access a /v2 path needs, so that a bearer token for exactly that scope can be fetched. */
function toPathAccess(path: string, method: string): Access | undefined {
  const pathname = path.split('?')[0]!
  if (pathname === '/v2/_catalog') return { type: 'registry', name: 'catalog', actions: ['*'] }
  const match = /^\/v2\/(.+)\/(?:manifests|blobs|tags|referrers)\//.exec(pathname)
  if (!match) return undefined
  return { type: 'repository', name: match[1]!, actions: method === 'DELETE' ? ['pull', 'delete'] : ['pull'] }
}

/**
 * The `Authorization` header the session presents for `access`: its Basic credentials with Basic
 * hooks; with bearer-token hooks, a token for exactly that scope, fetched from the realm with those
 * credentials the way docker does, and kept in the session until shortly before it expires.
 */
async function toAuthorization(session: Session, realm: TokenRealm | undefined, access: Access | undefined): Promise<string | undefined> {
  if (!session.authorization || !realm) return session.authorization
  const scope = access ? toScope(access) : ''
  const tokens = (session.tokens ??= new Map())
  let held = tokens.get(scope)
  if (!held || held.useUntil <= Date.now()) {
    held = await fetchToken(realm, session.authorization, scope === '' ? [] : [scope])
    if (!held) return undefined // the credentials stopped working
    if (tokens.size >= 256) tokens.clear() // bounded: a viewer of many repositories refetches
    tokens.set(scope, held)
  }
  return `Bearer ${held.token}`
}

/**
 * Works out who the session is with the same auth hooks the registry uses; `undefined` when they
 * refuse (no login yet, or the credentials stopped working: the user was removed, say).
 */
export async function toViewer(registry: Registry, auth: AuthHooks, session: Session, origin: string): Promise<Viewer | undefined> {
  const realm = toTokenRealm(auth, origin)
  const identity = await auth.authenticate(toAuthRequest(origin, await toAuthorization(session, realm, undefined)), [])
  if (!identity) return undefined
  const known = new Map<string, Promise<ReadonlySet<Action>>>()
  const grantedTo = async (holder: Identity | undefined, repository: string): Promise<ReadonlySet<Action>> => {
    if (!holder) return new Set<Action>()
    const actions = await auth.authorize(holder, { type: 'repository', name: repository, actions: ALL })
    return new Set<Action>(actions.includes('*') ? ALL : actions.filter((a) => ALL.includes(a)))
  }
  return {
    registry,
    identity,
    session,
    actions(repository) {
      let granted = known.get(repository)
      if (!granted) {
        granted = (async () => {
          const access: Access = { type: 'repository', name: repository, actions: ALL }
          // A bearer identity holds only what its token's scope granted: ask for one that covers this repository.
          const holder = realm ? await auth.authenticate(toAuthRequest(origin, await toAuthorization(session, realm, access)), []) : identity
          return grantedTo(holder, repository)
        })()
        known.set(repository, granted)
      }
      return granted
    },
    async prepare(repositories) {
      const basic = session.authorization
      if (!realm || !basic) return
      const missing = repositories.filter((name) => !known.has(name))
      for (let i = 0; i < missing.length; i += 100) {
        const chunk = missing.slice(i, i + 100)
        const held = fetchToken(realm, basic, chunk.map((name) => toScope({ type: 'repository', name, actions: ALL })))
        const holder = held.then((token) => (token ? auth.authenticate(toAuthRequest(origin, `Bearer ${token.token}`), []) : undefined))
        for (const name of chunk) known.set(name, holder.then((identity) => grantedTo(identity, name)))
        await holder
      }
    },
    async v2(path, init = {}) {
      const method = init.method ?? 'GET'
      const headers: Record<string, string> = { accept: init.accept ?? MANIFEST_ACCEPT, 'user-agent': 'wharf-ui' }
      const authorization = await toAuthorization(session, realm, toPathAccess(path, method))
      if (authorization) headers['authorization'] = authorization
      return registry.fetch(new Request(`${origin}${path}`, { method, headers }))
    },
  }
}

/** Checks a login: the identity the credentials give, or `undefined` when refused or anonymous. */
export async function checkLogin(auth: AuthHooks, origin: string, user: string, password: string): Promise<Identity | undefined> {
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const realm = toTokenRealm(auth, origin)
  const held = realm ? await fetchToken(realm, basic, []) : undefined
  if (realm && !held) return undefined
  const identity = await auth.authenticate(toAuthRequest(origin, held ? `Bearer ${held.token}` : basic), [])
  return identity && !identity.anonymous ? identity : undefined
}
