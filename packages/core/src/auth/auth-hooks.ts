import type { RegistryRequest } from '../http/registry-message.js'

/**
 * Auth hooks: how a host application decides who may pull and push.
 *
 * For every request the registry works out the access it needs (e.g. `repository:library/alpine:pull`),
 * then asks `authenticate` who is calling and `authorize` which of the needed actions that caller
 * holds. Nothing reaches storage before both have answered, so callers without access learn nothing
 * about which repositories exist.
 *
 * - `authenticate` returning `undefined` → 401 UNAUTHORIZED with the `WWW-Authenticate` value(s) from
 *   `challenge`.
 * - an action missing from `authorize`'s answer → 401 with a challenge for an anonymous identity (so
 *   clients log in and retry) or one with `challengeWhenDenied`, 403 DENIED for other authenticated ones.
 */
export interface AuthHooks {
  authenticate(request: RegistryRequest, access: readonly Access[]): Promise<Identity | undefined> | Identity | undefined
  authorize(identity: Identity, access: Access): Promise<readonly Action[]> | readonly Action[]
  /** `WWW-Authenticate` header value for a 401 answer to this request. */
  challenge(request: RegistryRequest, access: readonly Access[], reason: ChallengeReason): string
}

/** Why a challenge is sent: no/invalid credentials, or credentials lacking the needed scope. */
export type ChallengeReason = 'missing' | 'invalid' | 'insufficient_scope'

/** An action on a repository (`pull`, `push`, `delete`) or on the registry (`*` for the catalog). */
export type Action = 'pull' | 'push' | 'delete' | '*'

/** One resource and the actions a request needs on it, as in the Docker token scope grammar. */
export interface Access {
  type: 'repository' | 'registry'
  /** Repository name, or `catalog` for the registry resource. */
  name: string
  actions: Action[]
}

/** Who is calling. `anonymous` identities are challenged rather than denied. */
export interface Identity {
  /** A stable name for logs and events; `anonymous` for callers without credentials. */
  subject: string
  anonymous: boolean
  /**
   * When true, a missing action is answered like an anonymous one: 401 with an
   * `insufficient_scope` challenge instead of 403 DENIED. Bearer-token identities set it, because
   * token clients (docker, containerd) react to that challenge by fetching a wider token.
   */
  challengeWhenDenied?: boolean
  /** Anything the host's hooks want to carry from authenticate to authorize (claims, groups…). */
  readonly [extra: string]: unknown
}

/** The default: everyone is an anonymous caller holding every action. */
export function createAllowAllAuth(): AuthHooks {
  const anonymous: Identity = { subject: 'anonymous', anonymous: true }
  return {
    authenticate: () => anonymous,
    authorize: (_identity, access) => access.actions,
    challenge: () => 'Basic realm="wharf"',
  }
}

/** Formats an access the way token scopes are written: `repository:name:pull,push`. */
export function toScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`
}
