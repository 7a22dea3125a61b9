import { describe, expect, it } from 'vitest'
import { createMemoryDriver, isRegistryError } from '@wharf/core'
import { createImmutableTagPolicy, setImmutableTag } from '../src/policies/immutable-tags.js'
import { createTagStore } from '../src/stores/tag-store.js'

const rule = { repositories: 'prod/**', tag: 'v*' }
const live = async () => true

describe('setImmutableTag', () => {
  it('lets exactly one of many concurrent writers of different digests create the tag', async () => {
    // Invariant: the compare-and-swap alone (no pre-check) decides: one digest wins, every other writer is DENIED.
    for (let round = 0; round < 20; round++) {
      const tags = createTagStore(createMemoryDriver())
      const digests = ['a', 'b', 'c', 'd'].map((x) => `sha256:${x.repeat(64)}`)
      const results = await Promise.allSettled(digests.map((d) => setImmutableTag(tags, live, 'prod/app', 'v1', d, rule)))
      const won = results.filter((r) => r.status === 'fulfilled')
      expect(won).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(isRegistryError(r.reason, 'DENIED')).toBe(true)
      const winner = digests[results.findIndex((r) => r.status === 'fulfilled')]
      expect((await tags.read('prod/app', 'v1'))?.digest).toBe(winner)
    }
  })

  it('rewrites the same digest and moves a tag whose revision is gone', async () => {
    // Invariant: re-pushing the same digest is allowed; a tag left pointing at a deleted revision does not pin anything.
    const tags = createTagStore(createMemoryDriver())
    await setImmutableTag(tags, live, 'prod/app', 'v1', 'sha256:a', rule)
    await setImmutableTag(tags, live, 'prod/app', 'v1', 'sha256:a', rule)
    await expect(setImmutableTag(tags, live, 'prod/app', 'v1', 'sha256:b', rule)).rejects.toMatchObject({ code: 'DENIED' })
    await setImmutableTag(tags, async () => false, 'prod/app', 'v1', 'sha256:b', rule)
    expect((await tags.read('prod/app', 'v1'))?.digest).toBe('sha256:b')
  })
})

describe('createImmutableTagPolicy', () => {
  it('matches tag patterns within repository globs, and latest only when named', () => {
    // Invariant: `*` never makes latest immutable; naming it does.
    const policy = createImmutableTagPolicy([{ repositories: 'prod/**', tags: ['v*', '*'] }, { repositories: 'base', tags: ['latest'] }])
    expect(policy.ruleFor('prod/app', 'v1.2')).toEqual({ repositories: 'prod/**', tag: 'v*' })
    expect(policy.ruleFor('prod/app', 'anything')).toEqual({ repositories: 'prod/**', tag: '*' })
    expect(policy.ruleFor('prod/app', 'latest')).toBeUndefined()
    expect(policy.ruleFor('dev/app', 'v1')).toBeUndefined()
    expect(policy.ruleFor('base', 'latest')).toEqual({ repositories: 'base', tag: 'latest' })
    expect(() => createImmutableTagPolicy([{ repositories: 'a', tags: ['v:1'] }])).toThrow(TypeError)
  })
})
