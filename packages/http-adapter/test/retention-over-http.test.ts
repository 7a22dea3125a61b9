import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, createRegistry, type RetentionRule } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { DAY, MINUTE, fakeClock, listTags, pull, pushImage, type Send } from '../../../test-support/retention-images.js'

// Retention as a user sees it: images pushed and pulled over a real port, two registry processes'
// worth of instances on one storage (one serving, one applying retention), tags listed over HTTP.
// The memory driver stamps objects with `Date`, so the faked clock ages them (fs would use the
// file system's clock).
const running: RunningRegistry[] = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.close()
  vi.useRealTimers()
})

const retention: RetentionRule[] = [{ repositories: 'ci/**', keepLast: 2, keepTags: ['v*', 'latest'], keepPulledWithinMs: 7 * DAY }]

async function serve(storage = createMemoryDriver()) {
  const registry = createRegistry({ storage, retention })
  const server = await startRegistry(registry)
  running.push(server)
  const send: Send = (path, init) => fetch(`${server.url}${path}`, init)
  return { registry, send, storage }
}

describe('retention over a real port', () => {
  // Invariant: over HTTP, a tag survives retention when it is among the last 2 pushed, matches
  // v* or latest, or was pulled (through the socket, by another instance) within 7 days; every
  // other tag disappears from the tag list, and the dry run before it changed nothing.
  it('keeps the last pushed, the patterns and the recently pulled; lists and deletes the rest', async () => {
    const clock = fakeClock()
    const serving = await serve()
    for (const tag of ['v1.0', 'latest', 'build-1', 'build-2', 'build-3', 'build-4', 'build-5']) {
      await pushImage(serving.send, 'ci/app', tag, tag)
      clock.age(MINUTE)
    }
    clock.age(5 * DAY)
    await pull(serving.send, 'ci/app', 'build-2')
    await serving.registry.close() // flushes the pulls this instance served

    clock.age(3 * DAY) // 8 days since the pushes, 3 since the pull
    const collector = await serve(serving.storage)
    const dry = await collector.registry.applyRetention({ dryRun: true })
    expect(dry.repositories[0]!.tags.map((t) => `${t.tag}: ${t.reason}`)).toEqual([
      'build-1: not among the last 2 pushed; matches no keepTags pattern; neither pushed nor pulled within 7d',
      'build-3: not among the last 2 pushed; matches no keepTags pattern; neither pushed nor pulled within 7d',
    ])
    expect(await listTags(collector.send, 'ci/app')).toEqual(['build-1', 'build-2', 'build-3', 'build-4', 'build-5', 'latest', 'v1.0'])

    const report = await collector.registry.applyRetention()
    expect(report.tagsDeleted).toBe(2)
    expect(await listTags(collector.send, 'ci/app')).toEqual(['build-2', 'build-4', 'build-5', 'latest', 'v1.0'])
    const gone = await collector.send('/v2/ci/app/manifests/build-1', { method: 'HEAD' })
    expect(gone.status).toBe(404)
  })
})
