import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver } from '@wharf/core'
import { DAY, HOUR, MINUTE, exists, fakeClock, inProcess, listTags, pull, pushImage, retentionRegistry, tagManifest } from '../../../test-support/retention-images.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('retention rules', () => {
  // Invariant: exactly the N most recently *pushed* tags survive keepLast — ranked by each tag's
  // last push (a re-push makes an old tag new again), not by name or first creation.
  it('keeps the last N tags by push time, counting a re-push as a push', async () => {
    const clock = fakeClock()
    const registry = retentionRegistry({ retention: [{ repositories: 'ci/**', keepLast: 2 }] })
    const send = inProcess(registry)
    const digests: Record<string, string> = {}
    for (const tag of ['b1', 'b2', 'b3', 'b4']) {
      digests[tag] = await pushImage(send, 'ci/app', tag, tag)
      clock.age(MINUTE)
    }
    await tagManifest(send, 'ci/app', digests.b1!, 'b1') // b1 pushed again: now the newest
    await pushImage(send, 'other', 'x1', 'x1') // no rule covers it

    const report = await registry.applyRetention()
    expect(report.repositories[0]!.tags.map((t) => t.tag).sort()).toEqual(['b2', 'b3'])
    expect(report).toMatchObject({ dryRun: false, repositoriesChecked: 1, tagsDeleted: 2, manifestsDeleted: 0 })
    expect(report.repositories[0]!.tags[0]!.reason).toBe('not among the last 2 pushed')
    expect(await listTags(send, 'ci/app')).toEqual(['b1', 'b4'])
    expect(await listTags(send, 'other')).toEqual(['x1'])
    // Deleting a tag is not deleting the manifest: digest pulls still work (no untaggedAfterMs).
    expect(await exists(send, 'ci/app', digests.b2!)).toBe(true)
  })

  // Invariant: a tag matching a keepTags pattern is never deleted, however old; keepTags alone
  // deletes every tag that matches none (and `*` is a wildcard, `latest` a plain name).
  it('keeps tags matching keepTags patterns and deletes the others', async () => {
    const clock = fakeClock()
    const registry = retentionRegistry({ retention: [{ repositories: 'app', keepTags: ['v*', 'latest'] }] })
    const send = inProcess(registry)
    for (const tag of ['v1.0', 'v2.0-rc1', 'latest', 'build-1', 'build-2', 'nightly-v3']) await pushImage(send, 'app', tag, tag)
    clock.age(DAY)

    const report = await registry.applyRetention()
    expect(report.repositories[0]!.tags.map((t) => t.tag).sort()).toEqual(['build-1', 'build-2', 'nightly-v3'])
    expect(report.repositories[0]!.tags[0]!.reason).toBe('matches no keepTags pattern')
    expect(await listTags(send, 'app')).toEqual(['latest', 'v1.0', 'v2.0-rc1'])
  })

  // Invariant: an untagged manifest stays until it has been untagged for `untaggedAfterMs`
  // (counted from when its tag left it), and a tagged one — with its index children — never goes.
  it('deletes untagged manifests only after the delay', async () => {
    const clock = fakeClock()
    const registry = retentionRegistry({ retention: [{ repositories: '**', untaggedAfterMs: 6 * HOUR }] })
    const send = inProcess(registry)
    const first = await pushImage(send, 'app', 'stable', 'one')
    clock.age(DAY) // `first` was pushed a day ago, but is untagged only from the next push on
    const second = await pushImage(send, 'app', 'stable', 'two')

    clock.age(5 * HOUR)
    expect((await registry.applyRetention()).manifestsDeleted).toBe(0)
    expect(await exists(send, 'app', first)).toBe(true)

    clock.age(2 * HOUR)
    const report = await registry.applyRetention()
    expect(report.manifestsDeleted).toBe(1)
    expect(report.repositories[0]!.manifests[0]).toMatchObject({ digest: first, reason: 'untagged for more than 6h' })
    expect(await exists(send, 'app', first)).toBe(false)
    expect(await exists(send, 'app', second)).toBe(true)
    expect(await exists(send, 'app', 'stable')).toBe(true)
  })

  // Invariant: what was pulled within keepPulledWithinMs stays — a tag whose manifest was pulled,
  // and an untagged manifest pulled by digest (a Kubernetes pod pinned to it) — and goes once the
  // last pull is older than the period. Pulls reach storage through a flush (here: `close()` of
  // the serving registry) and are read by another registry on the same storage.
  it('keeps what was pulled within the period, measured from the last pull', async () => {
    const clock = fakeClock()
    const storage = createMemoryDriver()
    const retention = [{ repositories: '**', keepPulledWithinMs: 7 * DAY, untaggedAfterMs: HOUR }]
    const serving = retentionRegistry({ retention }, storage)
    const send = inProcess(serving)
    await pushImage(send, 'app', 'pulled', 'pulled')
    const ignored = await pushImage(send, 'app', 'ignored', 'ignored')
    const pinned = await pushImage(send, 'app', undefined, 'pinned')
    const forgotten = await pushImage(send, 'app', undefined, 'forgotten')
    clock.age(3 * DAY)
    await pull(send, 'app', 'pulled')
    await pull(send, 'app', pinned)
    await serving.close() // flushes this process's pulls

    clock.age(5 * DAY) // 8 days since the pushes, 5 since the pulls
    const collector = retentionRegistry({ retention }, storage)
    const report = await collector.applyRetention()
    expect(report.repositories[0]!.tags.map((t) => t.tag)).toEqual(['ignored'])
    expect(report.repositories[0]!.tags[0]!.reason).toBe('neither pushed nor pulled within 7d')
    expect(report.repositories[0]!.manifests.map((m) => m.digest)).toEqual([forgotten])
    // (No HEAD here to check `pinned` is still there: a HEAD is a pull too and would renew it.)

    clock.age(3 * DAY) // 8 days since the last pull
    const later = await collector.applyRetention()
    expect(later.repositories[0]!.tags.map((t) => t.tag)).toEqual(['pulled'])
    // `pinned` was pulled 8 days ago; the manifest `ignored` pointed at is untagged since the last run.
    expect(later.repositories[0]!.manifests.map((m) => m.digest).sort()).toEqual([ignored, pinned].sort())
  })

  // Invariant: retention never deletes a tag an immutable-tag rule covers, whatever its age or
  // rank; the other tags are still deleted around it.
  it('leaves immutable tags alone', async () => {
    const clock = fakeClock()
    const registry = retentionRegistry({
      immutableTags: [{ repositories: 'prod/**', tags: ['v*'] }],
      retention: [{ repositories: 'prod/**', keepLast: 1, untaggedAfterMs: 0 }],
    })
    const send = inProcess(registry)
    const v1 = await pushImage(send, 'prod/api', 'v1', 'v1')
    clock.age(MINUTE)
    await pushImage(send, 'prod/api', 'scratch', 'scratch')
    clock.age(MINUTE)
    await pushImage(send, 'prod/api', 'head', 'head')
    clock.age(30 * DAY)

    const report = await registry.applyRetention()
    expect(report.repositories[0]!.tags.map((t) => t.tag)).toEqual(['scratch'])
    expect(await listTags(send, 'prod/api')).toEqual(['head', 'v1'])
    expect(await exists(send, 'prod/api', v1)).toBe(true)
  })

  // Invariant: unusable rules are refused when the registry is created, not discovered at run time.
  it('refuses unusable rules', () => {
    expect(() => retentionRegistry({ retention: [{ repositories: 'a b', keepLast: 1 }] })).toThrow(/invalid repository pattern/)
    expect(() => retentionRegistry({ retention: [{ repositories: 'a', keepLast: -1 }] })).toThrow(/keepLast must be a non-negative integer/)
    expect(() => retentionRegistry({ retention: [{ repositories: 'a', keepTags: ['v/1'] }] })).toThrow(/invalid tag pattern/)
  })
})
