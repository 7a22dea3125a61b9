import type { Access, Action } from '@wharf/core'
import { isAction } from './actions.js'

/**
 * Parsing of Docker token-spec scopes (`repository:library/alpine:pull,push`,
 * `repository(plugin):name:pull`, `registry:catalog:*`) as sent to a token endpoint.
 * Untrusted input: never throws.
 */

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*'
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const MAX_SCOPE_LENGTH = 1024

/**
 * One scope → the access it asks for.
 * - `malformed`: not `type:name:actions` at all (the endpoint answers 400);
 * - `undefined`: well-formed but about nothing this registry grants (unknown type, invalid
 *   repository name, no known action), so it is left out of the token;
 * - otherwise the access, with known actions only, deduplicated. A resource class such as
 *   `repository(plugin)` is accepted and dropped, as distribution does.
 */
export function toScopeAccess(scope: string): Access | undefined | 'malformed' {
  if (scope.length > MAX_SCOPE_LENGTH) return 'malformed'
  // The name sits between the first and the last colon (it may hold a colon, e.g. a port).
  const first = scope.indexOf(':')
  const last = scope.lastIndexOf(':')
  if (first <= 0 || last === first || last === scope.length - 1 || last === first + 1) return 'malformed'
  const type = scope.slice(0, first).replace(/\([a-z0-9]+\)$/, '')
  const name = scope.slice(first + 1, last)
  const actions = [...new Set(scope.slice(last + 1).split(','))].filter(isAction) as Action[]
  if (actions.length === 0) return undefined
  if (type === 'repository' && name.length <= 255 && REPOSITORY_NAME.test(name)) return { type, name, actions }
  if (type === 'registry' && name === 'catalog' && actions.includes('*')) return { type, name, actions: ['*'] }
  return undefined
}

/**
 * All scopes of a request (each value may itself hold several, space separated, as the OAuth2 POST
 * form sends them), merged per resource. `malformed` when any one is malformed.
 */
export function toRequestedAccess(values: readonly string[]): Access[] | 'malformed' {
  const merged = new Map<string, Access>()
  for (const value of values) {
    for (const scope of value.split(' ')) {
      if (scope === '') continue
      const access = toScopeAccess(scope)
      if (access === 'malformed') return 'malformed'
      if (!access) continue
      const key = `${access.type}:${access.name}`
      const known = merged.get(key)
      if (!known) merged.set(key, access)
      else for (const action of access.actions) if (!known.actions.includes(action)) known.actions.push(action)
    }
  }
  return [...merged.values()]
}
