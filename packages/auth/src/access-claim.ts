import type { Access, Action } from '@wharf/core'
import { toGrantedActions } from './actions.js'

/** The `access` claim of a Docker registry token: what the token server granted. */
export type AccessClaim = ReadonlyArray<{ type: string; name: string; actions: readonly string[] }>

const MAX_ENTRIES = 1000

/**
 * Validates an `access` claim from a verified token. A missing claim is an empty grant (such a token
 * only opens `/v2/`); anything that is not an array of `{type, name, actions: string[]}` → undefined,
 * so a malformed token is rejected rather than half-understood.
 */
export function toAccessClaim(value: unknown): AccessClaim | undefined {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) return undefined
  const claim: Array<{ type: string; name: string; actions: string[] }> = []
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) return undefined
    const { type, name, actions } = entry as Record<string, unknown>
    if (typeof type !== 'string' || typeof name !== 'string') return undefined
    if (!Array.isArray(actions) || !actions.every((action) => typeof action === 'string')) return undefined
    claim.push({ type, name, actions: actions as string[] })
  }
  return claim
}

/** The requested actions of `access` that the claim grants (exact type and name; `*` grants all). */
export function toClaimedActions(claim: AccessClaim, access: Access): Action[] {
  const held: string[] = []
  for (const entry of claim) if (entry.type === access.type && entry.name === access.name) held.push(...entry.actions)
  return toGrantedActions(access.actions, held)
}
