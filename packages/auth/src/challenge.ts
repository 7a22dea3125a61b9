import type { Access, ChallengeReason } from '@wharf/core'

/**
 * Building `WWW-Authenticate` values. Whatever the input, the result is one header line: quoted
 * strings escape `"` and `\`, and control characters (CR/LF included) are dropped, so a strange
 * repository name can never split or inject a header.
 */

/** Formats `value` as an RFC 7230 quoted-string. */
export function toQuotedString(value: string): string {
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/["\\]/g, '\\$&')}"`
}

/** True when `value` can be used as a realm or service without being altered. */
export function isHeaderSafe(value: string): boolean {
  return !/[\u0000-\u001f\u007f]/.test(value)
}

/** `Basic realm="..."`, the challenge registry:2 sends with htpasswd auth. */
export function toBasicChallenge(realm: string): string {
  return `Basic realm=${toQuotedString(realm)}`
}

/**
 * The Docker token-spec scope list for these accesses, one `type:name:actions` per access,
 * space separated (as distribution writes it). Accesses without actions are left out.
 */
export function toScopeList(access: readonly Access[]): string {
  return access
    .filter((item) => item.actions.length > 0)
    .map((item) => `${item.type}:${item.name}:${item.actions.join(',')}`)
    .join(' ')
}

/**
 * `Bearer realm="...",service="...",scope="..."` with `error="invalid_token"` or
 * `error="insufficient_scope"` when that is the reason, as distribution's token controller does.
 */
export function toBearerChallenge(
  options: { realm: string; service: string },
  access: readonly Access[],
  reason: ChallengeReason,
): string {
  let value = `Bearer realm=${toQuotedString(options.realm)},service=${toQuotedString(options.service)}`
  const scope = toScopeList(access)
  if (scope) value += `,scope=${toQuotedString(scope)}`
  if (reason === 'invalid') value += ',error="invalid_token"'
  else if (reason === 'insufficient_scope') value += ',error="insufficient_scope"'
  return value
}
