import { describe, expect, it } from 'vitest'
import type { Identity } from '@wharf/core'
import { createDefaultPolicy, createPolicy, toRepositoryMatcher } from '@wharf/auth'
import { catalog } from './support/requests.js'

const user = (subject: string, extra: Record<string, unknown> = {}): Identity => ({ subject, anonymous: false, ...extra })
const anonymous: Identity = { subject: 'anonymous', anonymous: true }
const all = (name: string) => ({ type: 'repository' as const, name, actions: ['pull' as const, 'push' as const, 'delete' as const] })

describe('policies', () => {
  const policy = createPolicy(
    [
      { who: 'group:team-a', on: 'team-a/**', allow: ['pull', 'push'] },
      { who: 'authenticated', on: 'team-a/**', allow: ['pull'] },
      { who: 'anonymous', on: ['public/*', 'library/alpine'], allow: ['pull'] },
      { who: 'user:reader', on: '**', allow: ['pull'] },
      { who: 'user:reader', on: '**', deny: ['push', 'delete'] },
      { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
      { who: 'group:auditors', on: 'registry:catalog', allow: ['*'] },
    ],
    { groups: { 'team-a': ['alice'] } },
  )

  it('gives a team push on its namespace and everyone else who is logged in pull', async () => {
    expect(await policy.authorize(user('alice'), all('team-a/app'))).toEqual(['pull', 'push'])
    expect(await policy.authorize(user('alice'), all('team-a/app/cache'))).toEqual(['pull', 'push'])
    expect(await policy.authorize(user('bob'), all('team-a/app'))).toEqual(['pull'])
    expect(await policy.authorize(user('alice'), all('team-b/app'))).toEqual([])
    expect(await policy.authorize(anonymous, all('team-a/app'))).toEqual([])
  })

  it('takes group membership from the identity too', async () => {
    expect(await policy.authorize(user('zed', { groups: ['team-a'] }), all('team-a/x'))).toEqual(['pull', 'push'])
  })

  it('lets anonymous callers pull only the repositories opened to them', async () => {
    expect(await policy.authorize(anonymous, all('public/tool'))).toEqual(['pull'])
    expect(await policy.authorize(anonymous, all('public/tool/nested'))).toEqual([])
    expect(await policy.authorize(anonymous, all('library/alpine'))).toEqual(['pull'])
    expect(await policy.authorize(anonymous, all('library/alpine2'))).toEqual([])
  })

  it('keeps read-only users read-only: deny wins over any allow', async () => {
    expect(await policy.authorize(user('reader'), all('team-a/app'))).toEqual(['pull'])
    expect(await policy.authorize(user('reader'), all('anything'))).toEqual(['pull'])
  })

  it('gives admins everything, the catalog included', async () => {
    expect(await policy.authorize(user('admin'), all('x/y/z'))).toEqual(['pull', 'push', 'delete'])
    expect(await policy.authorize(user('admin'), catalog)).toEqual(['*'])
  })

  it('grants the catalog only to whom a rule gives it', async () => {
    expect(await policy.authorize(user('audit', { groups: ['auditors'] }), catalog)).toEqual(['*'])
    expect(await policy.authorize(user('alice'), catalog)).toEqual([])
    expect(await policy.authorize(anonymous, catalog)).toEqual([])
  })

  it('never lets an anonymous caller match a user or group rule', async () => {
    const strict = createPolicy([{ who: ['user:anonymous', 'group:g'], on: '**', allow: ['*'] }], { groups: { g: ['anonymous'] } })
    expect(await strict.authorize(anonymous, all('x'))).toEqual([])
  })

  it('defaults to: logged-in users everything, anonymous nothing', async () => {
    const fallback = createDefaultPolicy()
    expect(await fallback.authorize(user('u'), all('x'))).toEqual(['pull', 'push', 'delete'])
    expect(await fallback.authorize(user('u'), catalog)).toEqual(['*'])
    expect(await fallback.authorize(anonymous, all('x'))).toEqual([])
  })

  it('rejects rules with typos instead of silently ignoring them', () => {
    expect(() => createPolicy([{ who: 'usr:alice', on: '**', allow: ['pull'] }])).toThrowError(/rule 0: unknown `who` "usr:alice"/)
    expect(() => createPolicy([{ who: 'everyone', on: 'registry:catalogue', allow: ['*'] }])).toThrowError(/rule 0: invalid `on`/)
    expect(() => createPolicy([{ who: 'everyone', on: '**', allow: ['pul' as 'pull'] }])).toThrowError(/unknown action "pul"/)
    expect(() => createPolicy([{ who: 'everyone', on: '**' }])).toThrowError(/neither `allow` nor `deny`/)
    expect(() => createPolicy([{ who: [], on: '**', allow: ['pull'] }])).toThrowError(/`who` is empty/)
  })
})

describe('repository globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['team-a/*', 'team-a/app', true],
    ['team-a/*', 'team-a/app/cache', false],
    ['team-a/*', 'team-a', false],
    ['team-a/**', 'team-a/app/cache', true],
    ['team-a/**', 'team-a', false],
    ['team-a/**', 'team-ab/app', false],
    ['*', 'alpine', true],
    ['*', 'library/alpine', false],
    ['**', 'library/alpine', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/xb', false],
    ['**/cache', 'cache', true],
    ['**/cache', 'x/y/cache', true],
    ['**/cache', 'x/mycache', false],
    ['lib.x/*', 'libax/y', false],
    ['app-*', 'app-web', true],
  ]
  it.each(cases)('%s matches %s: %s', (pattern, name, expected) => {
    expect(toRepositoryMatcher(pattern)(name)).toBe(expected)
  })
})
