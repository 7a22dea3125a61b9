import type { Access, Action, Identity } from '@wharf/core'
import { isAction, toGrantedActions } from './actions.js'
import { toRepositoryMatcher, type RepositoryMatcher } from './repository-glob.js'

/**
 * Decides which of the actions an access asks for a caller holds. Returns a subset of
 * `access.actions` (never more). Any object with this method can be passed where a policy is
 * expected, which is the raw hook for rules `createPolicy` cannot express.
 */
export interface Policy {
  authorize(identity: Identity, access: Access): Promise<readonly Action[]> | readonly Action[]
}

/**
 * One policy rule. Rules only add permissions (`allow`) or take them away (`deny`); a caller holds
 * the union of the `allow` actions of every rule that matches them and the resource, minus the
 * union of the `deny` actions of every matching rule. Deny always wins, whatever the rule order.
 */
export interface PolicyRule {
  /**
   * Whom the rule is about, one or several of:
   * `user:NAME` (that authenticated user), `group:NAME` (members of that group, from the policy's
   * `groups` option or the identity's own `groups` array), `authenticated` (any caller with valid
   * credentials), `anonymous` (callers without credentials), `everyone` (both).
   */
  who: string | readonly string[]
  /**
   * What the rule is about: repository globs (`team-a/**`, `library/*`, `**` for all; see
   * repository-glob.ts for the grammar) and/or `registry:catalog` for the catalog listing.
   */
  on: string | readonly string[]
  /** Actions granted: `pull`, `push`, `delete`, or `*` for all (the only action of the catalog). */
  allow?: readonly Action[]
  /** Actions taken away, even if another rule allows them. */
  deny?: readonly Action[]
}

/** Options of `createPolicy`. */
export interface PolicyOptions {
  /** Group name → user names, for `group:NAME` rules. */
  groups?: Readonly<Record<string, readonly string[]>>
}

/** The resource of the catalog listing, as a rule's `on` value and as a token scope. */
export const CATALOG_RESOURCE = 'registry:catalog'

interface CompiledRule {
  matchesWho(identity: Identity): boolean
  matchesOn(access: Access): boolean
  allow: readonly Action[]
  deny: readonly Action[]
}

/**
 * Builds a policy from rules (see `PolicyRule`). Rules are checked when the policy is created: an
 * unknown `who`, an invalid repository pattern or an unknown action throws a TypeError naming the
 * rule, so a typo never silently grants or denies. An access no rule matches gets nothing.
 *
 * @example
 * createPolicy([
 *   { who: 'group:team-a', on: 'team-a/**', allow: ['pull', 'push'] },
 *   { who: 'authenticated', on: 'team-a/**', allow: ['pull'] },
 *   { who: 'anonymous', on: 'public/*', allow: ['pull'] },
 *   { who: 'user:ci-reader', on: '**', deny: ['push', 'delete'] },
 *   { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
 * ], { groups: { 'team-a': ['alice', 'bob'] } })
 */
export function createPolicy(rules: readonly PolicyRule[], options: PolicyOptions = {}): Policy {
  const groups = new Map(Object.entries(options.groups ?? {}).map(([name, members]) => [name, new Set(members)]))
  const compiled = rules.map((rule, index) => compileRule(rule, index, groups))
  return {
    authorize(identity, access) {
      const allowed = new Set<Action>()
      const denied = new Set<Action>()
      for (const rule of compiled) {
        if (!rule.matchesOn(access) || !rule.matchesWho(identity)) continue
        for (const action of rule.allow) allowed.add(action)
        for (const action of rule.deny) denied.add(action)
      }
      const granted = toGrantedActions(access.actions, allowed)
      if (denied.size === 0) return granted
      // Holding `*` means holding every action, so any denied action also takes `*` away.
      return granted.filter((action) => action !== '*' && !denied.has('*') && !denied.has(action))
    },
  }
}

/** The policy used when none is given: authenticated callers may do everything, anonymous ones nothing. */
export function createDefaultPolicy(): Policy {
  return { authorize: (identity, access) => (identity.anonymous ? [] : [...access.actions]) }
}

function compileRule(rule: PolicyRule, index: number, groups: Map<string, Set<string>>): CompiledRule {
  const fail = (what: string): never => {
    throw new TypeError(`policy rule ${index}: ${what}`)
  }
  const whoList = toList(rule.who)
  const onList = toList(rule.on)
  if (whoList.length === 0) fail('`who` is empty')
  if (onList.length === 0) fail('`on` is empty')
  const allow = rule.allow ?? []
  const deny = rule.deny ?? []
  if (allow.length === 0 && deny.length === 0) fail('neither `allow` nor `deny` names an action')
  for (const action of [...allow, ...deny]) if (!isAction(action)) fail(`unknown action ${JSON.stringify(action)}`)

  const whoTests = whoList.map((who): ((identity: Identity) => boolean) => {
    if (who === 'everyone') return () => true
    if (who === 'anonymous') return (identity) => identity.anonymous
    if (who === 'authenticated') return (identity) => !identity.anonymous
    const user = /^user:(.+)$/.exec(who)?.[1]
    if (user !== undefined) return (identity) => !identity.anonymous && identity.subject === user
    const group = /^group:(.+)$/.exec(who)?.[1]
    if (group !== undefined) return (identity) => !identity.anonymous && isGroupMember(identity, group, groups)
    return fail(`unknown \`who\` ${JSON.stringify(who)} (use user:NAME, group:NAME, authenticated, anonymous or everyone)`)
  })

  let catalog = false
  const repositoryTests: RepositoryMatcher[] = []
  for (const on of onList) {
    if (on === CATALOG_RESOURCE) catalog = true
    else {
      try {
        repositoryTests.push(toRepositoryMatcher(on))
      } catch {
        fail(`invalid \`on\` ${JSON.stringify(on)} (use a repository glob or ${CATALOG_RESOURCE})`)
      }
    }
  }

  return {
    allow,
    deny,
    matchesWho: (identity) => whoTests.some((test) => test(identity)),
    matchesOn: (access) =>
      access.type === 'registry'
        ? catalog && access.name === 'catalog'
        : access.type === 'repository' && repositoryTests.some((test) => test(access.name)),
  }
}

function isGroupMember(identity: Identity, group: string, groups: Map<string, Set<string>>): boolean {
  if (groups.get(group)?.has(identity.subject)) return true
  const own = identity['groups']
  return Array.isArray(own) && own.includes(group)
}

function toList(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : value
}
