import type { Action, AuthHooks, Identity, Registry } from '@wharf/core'
import type { Session } from './sessions.js'

/** The person behind one UI request: what they may do, and /v2 calls made as them. */
export interface Viewer {
  registry: Registry
  identity: Identity
  session: Session
  /** Actions held on a repository (`pull`, `push`, `delete`; `*` expanded), remembered per request. */
  actions(repository: string): Promise<ReadonlySet<Action>>
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

/**
 * Works out who the session is with the same auth hooks the registry uses; `undefined` when they
 * refuse (no login yet, or the credentials stopped working: the user was removed, say).
 */
export async function toViewer(registry: Registry, auth: AuthHooks, session: Session, origin: string): Promise<Viewer | undefined> {
  const identity = await auth.authenticate(toAuthRequest(origin, session.authorization), [])
  if (!identity) return undefined
  const known = new Map<string, Promise<ReadonlySet<Action>>>()
  return {
    registry,
    identity,
    session,
    actions(repository) {
      let granted = known.get(repository)
      if (!granted) {
        granted = (async () => {
          const actions = await auth.authorize(identity, { type: 'repository', name: repository, actions: ALL })
          return new Set<Action>(actions.includes('*') ? ALL : actions.filter((a) => ALL.includes(a)))
        })()
        known.set(repository, granted)
      }
      return granted
    },
    v2(path, init = {}) {
      const headers: Record<string, string> = { accept: init.accept ?? MANIFEST_ACCEPT, 'user-agent': 'wharf-ui' }
      if (session.authorization) headers['authorization'] = session.authorization
      return registry.fetch(new Request(`${origin}${path}`, { method: init.method ?? 'GET', headers }))
    },
  }
}

/** Checks a login: the identity the credentials give, or `undefined` when refused or anonymous. */
export async function checkLogin(auth: AuthHooks, origin: string, user: string, password: string): Promise<Identity | undefined> {
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const identity = await auth.authenticate(toAuthRequest(origin, authorization), [])
  return identity && !identity.anonymous ? identity : undefined
}
