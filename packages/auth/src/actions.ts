import type { Action } from '@wharf/core'

/** Every action a token scope or policy may name. `*` stands for all of them. */
export const ACTIONS: readonly Action[] = ['pull', 'push', 'delete', '*']

/** True when `value` is one of the actions the registry knows. */
export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value)
}

/**
 * The requested actions that `held` covers, in the order they were requested, without duplicates.
 * Holding `*` covers every action (as in distribution's token access check); requesting `*` is only
 * covered by holding `*` itself, so a catalog grant never follows from holding pull/push/delete.
 */
export function toGrantedActions(requested: readonly Action[], held: Iterable<string>): Action[] {
  const holds = new Set(held)
  const granted: Action[] = []
  for (const action of requested) {
    if (granted.includes(action)) continue
    if (holds.has('*') || holds.has(action)) granted.push(action)
  }
  return granted
}
