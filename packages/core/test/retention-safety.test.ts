import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, storageKeys, type StorageDriver } from '@wharf/core'
import { DAY, HOUR, MINUTE, exists, fakeClock, inProcess, listTags, pull, pushImage, retentionRegistry, tagManifest, watchedDriver } from '../../../test-support/retention-images.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Every key with its ETag: what "nothing changed" means for storage. */
async function snapshot(driver: StorageDriver): Promise<Map<string, string>> {
  const all = new Map<string, string>()
  for (const key of (await driver.list('', { limit: 100_000 })).keys) all.set(key, (await driver.stat(key))!.etag)
  return all
}

async function pullRecord(driver: StorageDriver, repository: string): Promise<Record<string, number>> {
  const object = await driver.get(storageKeys.pullRecord(repository))
  return (JSON.parse(new TextDecoder().decode(object.body)) as { pulls: Record<string, number> }).pulls
}

describe('retention safety', () => {
  // Invariant: N pulls cost at most one storage write per repository per flush, and no write at
  // all when nothing was pulled; repositories no keepPulledWithinMs rule covers are not recorded.
  it('coalesces pulls: many pulls, one write per repository per flush', async () => {
    fakeClock()
    const { driver, puts } = watchedDriver(createMemoryDriver())
    const registry = retentionRegistry({ retention: [{ repositories: 'team/**', keepPulledWithinMs: 30 * DAY }] }, driver)
    const send = inProcess(registry)
    const a = await pushImage(send, 'team/a', 'v1', 'a')
    await pushImage(send, 'team/b', 'v1', 'b')
    await pushImage(send, 'untracked', 'v1', 'u')
    const pullWrites = () => puts.filter((key) => key.startsWith('pulls/')).sort()

    for (let i = 0; i < 50; i++) {
      await pull(send, 'team/a', i % 2 === 0 ? 'v1' : a)
      await pull(send, 'team/b', 'v1')
      await pull(send, 'untracked', 'v1')
    }
    expect(pullWrites()).toEqual([])
    await registry.applyRetention({ dryRun: true }) // flushes first
    expect(pullWrites()).toEqual(['pulls/team/a', 'pulls/team/b'])
    await registry.applyRetention({ dryRun: true })
    expect(pullWrites()).toHaveLength(2)

    for (let i = 0; i < 50; i++) await pull(send, 'team/a', 'v1')
    await registry.close()
    expect(pullWrites()).toEqual(['pulls/team/a', 'pulls/team/a', 'pulls/team/b'])
  })

  // Invariant: several processes each flush their own view and the record keeps, per digest, the
  // latest pull any of them saw (merge by max under compare-and-swap, whatever the flush order).
  it('merges pull records of several processes by the latest pull', async () => {
    const clock = fakeClock()
    const storage = createMemoryDriver()
    const retention = [{ repositories: '**', keepPulledWithinMs: 30 * DAY }]
    const one = retentionRegistry({ retention }, storage)
    const two = retentionRegistry({ retention }, storage)
    const x = await pushImage(inProcess(one), 'app', 'x', 'x')
    const y = await pushImage(inProcess(one), 'app', 'y', 'y')
    const start = clock.now()
    await pull(inProcess(two), 'app', 'x')
    clock.age(HOUR)
    await pull(inProcess(one), 'app', 'x')
    await pull(inProcess(two), 'app', 'y')
    await one.close() // x at start + 1h
    await two.close() // x at start (older: must not win), y at start + 1h
    expect(await pullRecord(storage, 'app')).toEqual({ [x]: start + HOUR, [y]: start + HOUR })
  })

  // Invariant: a dry run changes no object in storage (same keys, same ETags) and reports exactly
  // what a real run then deletes, with a reason for each tag and manifest.
  it('dry run lists what would go and deletes nothing', async () => {
    const clock = fakeClock()
    const { driver } = watchedDriver(createMemoryDriver())
    const registry = retentionRegistry({ retention: [{ repositories: 'ci/*', keepLast: 1, untaggedAfterMs: HOUR }] }, driver)
    const send = inProcess(registry)
    await pushImage(send, 'ci/app', 'old', 'old')
    clock.age(MINUTE)
    await pushImage(send, 'ci/app', 'new', 'new')
    const orphan = await pushImage(send, 'ci/app', undefined, 'orphan')
    clock.age(2 * HOUR)

    const before = await snapshot(driver)
    const dry = await registry.applyRetention({ dryRun: true })
    expect(await snapshot(driver)).toEqual(before)
    expect(dry).toMatchObject({ dryRun: true, tagsDeleted: 1, manifestsDeleted: 1 })
    expect(dry.repositories).toEqual([
      {
        repository: 'ci/app',
        rule: 'ci/*',
        tags: [{ tag: 'old', digest: expect.stringMatching(/^sha256:/), pushedAt: '2026-01-01T00:00:00.000Z', reason: 'not among the last 1 pushed' }],
        manifests: [{ digest: orphan, untaggedSince: '2026-01-01T00:01:00.000Z', reason: 'untagged for more than 1h' }],
        skipped: 0,
      },
    ])
    expect(await listTags(send, 'ci/app')).toEqual(['new', 'old'])

    const real = await registry.applyRetention()
    expect(real.repositories.map(({ tags, manifests }) => ({ tags, manifests }))).toEqual(dry.repositories.map(({ tags, manifests }) => ({ tags, manifests })))
    expect(await listTags(send, 'ci/app')).toEqual(['new'])
  })

  // Invariant: retention deletes a tag only in the version it read. A tag pushed again between
  // retention's read and its delete survives (the delete is a compare-and-swap through the
  // manifest index and loses), and is reported as skipped, not deleted.
  it('a tag re-pushed while retention runs survives', async () => {
    const clock = fakeClock()
    let interpose: ((key: string) => Promise<void>) | undefined
    const { driver } = watchedDriver(createMemoryDriver(), { afterGet: async (key) => interpose?.(key) })
    const registry = retentionRegistry({ retention: [{ repositories: '**', keepLast: 1 }] }, driver)
    const send = inProcess(registry)
    const stale = await pushImage(send, 'app', 'stale', 'stale')
    clock.age(MINUTE)
    await pushImage(send, 'app', 'fresh', 'fresh')
    clock.age(DAY)

    // Right after retention reads `stale` (old: to be deleted), a client pushes it again.
    interpose = async (key) => {
      if (key !== storageKeys.tag('app', 'stale')) return
      interpose = undefined
      await tagManifest(send, 'app', stale, 'stale')
    }
    const report = await registry.applyRetention()
    expect(interpose).toBeUndefined() // the push did run in the middle
    expect(report.tagsDeleted).toBe(0)
    expect(report.repositories[0]!.skipped).toBe(1)
    expect(await listTags(send, 'app')).toEqual(['fresh', 'stale'])
    expect(await exists(send, 'app', 'stale')).toBe(true)

    // Without the race, the next run sees `stale` as the newest push and deletes `fresh` instead.
    clock.age(MINUTE)
    expect((await registry.applyRetention()).repositories[0]!.tags.map((t) => t.tag)).toEqual(['fresh'])
  })

  // Invariant: `collectGarbage({ retention: true })` applies retention before marking, so the
  // bytes of what retention deleted are reclaimed in the same run, and both reports are returned.
  it('collectGarbage({ retention: true }) applies retention first and reclaims its garbage', async () => {
    const clock = fakeClock()
    const registry = retentionRegistry({ retention: [{ repositories: '**', untaggedAfterMs: 0 }] })
    const send = inProcess(registry)
    await pushImage(send, 'app', 'kept', 'kept')
    const orphan = await pushImage(send, 'app', undefined, 'orphan')
    clock.age(2 * HOUR)

    const report = await registry.collectGarbage({ retention: true })
    expect(report.retention).toMatchObject({ manifestsDeleted: 1 })
    expect(report).toMatchObject({ linksDeleted: 2, blobsDeleted: 2 })
    expect(await exists(send, 'app', orphan)).toBe(false)
    expect(await exists(send, 'app', 'kept')).toBe(true)
  })
})
