import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { bundleDriverForChildren, raceChildren, runChild, startChild } from './helpers/child-processes.js'

let bundle: { dir: string; cleanup: () => Promise<void> }
let root: string

beforeAll(async () => {
  bundle = await bundleDriverForChildren()
  root = await mkdtemp(join(tmpdir(), 'wharf-fs-processes-'))
})
afterAll(async () => {
  await bundle?.cleanup()
  if (root) await rm(root, { recursive: true, force: true })
})

const text = (s: string) => new TextEncoder().encode(s)
const decode = (b: Uint8Array) => new TextDecoder().decode(b)

/** The same bytes the child's `pattern(seed, size)` generates. */
function pattern(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}

describe('between separate processes', () => {
  it('lets exactly one process win each create-only race', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `race/create/${i}`)
    const outcomes = (await raceChildren(
      bundle.dir,
      ['p0', 'p1', 'p2', 'p3'].map((value) => ({ op: 'create-only', root, keys, value })),
    )) as string[][]
    const driver = createFsDriver({ root })
    for (const [i, key] of keys.entries()) {
      const perProcess = outcomes.map((o) => o[i])
      expect(perProcess.filter((o) => o === 'won')).toHaveLength(1)
      expect(perProcess.filter((o) => o === 'precondition-failed')).toHaveLength(3)
      const winner = perProcess.indexOf('won')
      expect(decode((await driver.get(key)).body)).toBe(`p${winner}`)
    }
  })

  it('loses no update when processes increment one counter with compare-and-swap', async () => {
    const driver = createFsDriver({ root })
    const key = 'race/cas/counter'
    await driver.put(key, text('0'))
    const results = (await raceChildren(
      bundle.dir,
      [0, 1, 2].map(() => ({ op: 'increment', root, key, times: 60 })),
    )) as Array<{ conflicts: number }>
    expect(decode((await driver.get(key)).body)).toBe('180')
    // The race was real: some compare-and-swaps lost and were retried.
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0)
  })

  it('continues a resumable write in another process from its JSON state, even through another mount path', async () => {
    const driver = createFsDriver({ root })
    const key = 'data/continued'
    const sizes = [3 * 1024 * 1024 + 11, 5 * 1024 * 1024 + 3]
    let state = await driver.startWrite(key)
    state = await driver.appendWrite(JSON.parse(JSON.stringify(state)), (async function* () {
      yield pattern('first', sizes[0]!)
    })())
    // The other process sees the same directory through a different path.
    const otherPath = `${root}-link`
    await symlink(root, otherPath)
    try {
      state = (await runChild(bundle.dir, { op: 'append', root: otherPath, state, seed: 'second', size: sizes[1] })) as typeof state
    } finally {
      await rm(otherPath)
    }
    expect(state.size).toBe(sizes[0]! + sizes[1]!)
    expect(await driver.stat(key)).toBeUndefined()
    await driver.finishWrite(JSON.parse(JSON.stringify(state)))
    const stored = (await driver.get(key)).body
    const expected = Buffer.concat([pattern('first', sizes[0]!), pattern('second', sizes[1]!)])
    expect(Buffer.from(stored).equals(expected)).toBe(true)
  })

  it('breaks a lock left by a killed process once it is stale, and not before', async () => {
    const key = 'locks/killed'
    const holder = startChild(bundle.dir, { op: 'hold-lock', root, key })
    expect(await holder.nextMessage()).toBe('locked')
    holder.process.kill('SIGKILL')
    await holder.done.catch(() => undefined)
    // The dead holder's lock is still there; its age decides when it may be broken.
    const lockTakenAt = (await stat(join(root, 'locks', '.lock-killed,'))).mtimeMs
    const driver = createFsDriver({ root, lockStaleMs: 1500 })
    await driver.put(key, text('after the crash'))
    const doneAfter = Date.now() - lockTakenAt
    expect(decode((await driver.get(key)).body)).toBe('after the crash')
    // Not before it is stale (a lower bound, which a slow machine cannot break); that it is broken
    // at all is the put succeeding within the 30 s lock timeout.
    expect(doneAfter).toBeGreaterThanOrEqual(1500)
  })

  it('does not break the lock of a live process that is merely slow', async () => {
    const key = 'locks/live'
    const holder = startChild(bundle.dir, { op: 'hold-lock', root, key })
    try {
      expect(await holder.nextMessage()).toBe('locked')
      // Stale after 500 ms, but a live holder on this host is trusted ten times as long (5 s).
      const driver = createFsDriver({ root, lockStaleMs: 500, lockTimeoutMs: 1500 })
      await expect(driver.put(key, text('must wait'))).rejects.toSatisfy((e: unknown) => isDriverError(e, 'unavailable'))
      expect(await driver.stat(key)).toBeUndefined()
    } finally {
      holder.process.kill('SIGKILL')
      await holder.done.catch(() => undefined)
    }
  })

  it('shows no trace of a put whose process was killed mid-write, and keeps the old value', async () => {
    const driver = createFsDriver({ root })
    const key = 'crash/victim'
    await driver.put(key, text('old value'))
    const writer = startChild(bundle.dir, { op: 'put-forever', root, key, size: 768 * 1024 * 1024 })
    expect(await writer.nextMessage()).toBe('started')
    // Kill it once its temp file exists, i.e. in the middle of the put.
    const dir = join(root, 'crash')
    for (let i = 0; i < 2000 && !(await readdir(dir)).some((n) => n.startsWith('.tmp-')); i++) {
      await new Promise((r) => setTimeout(r, 2))
    }
    writer.process.kill('SIGKILL')
    await writer.done.catch(() => undefined)
    expect((await readdir(dir)).some((n) => n.startsWith('.tmp-'))).toBe(true)

    expect(decode((await driver.get(key)).body)).toBe('old value')
    expect((await driver.list('crash/')).keys).toEqual([key])
    expect((await driver.list('')).keys).not.toContainEqual(expect.stringContaining('.tmp'))
    // Housekeeping removes the leftover; nothing visible changes.
    expect(await driver.sweep({ olderThanMs: 0 })).toBeGreaterThanOrEqual(1)
    expect((await readdir(dir)).some((n) => n.startsWith('.'))).toBe(false)
    expect(decode((await driver.get(key)).body)).toBe('old value')
  })
})
