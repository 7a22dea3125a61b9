import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { bundleDriverForChildren, runChild, startChild } from './helpers/child-processes.js'

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
  const out = Buffer.alloc(size)
  let counter = 0
  for (let at = 0; at < size; at += 64 * 1024) {
    const end = Math.min(at + 64 * 1024, size)
    for (let filled = at; filled < end; filled += 32) {
      const digest = createHash('sha256').update(`${seed}:${counter++}`).digest()
      digest.copy(out, filled, 0, Math.min(32, end - filled))
    }
  }
  return out
}

describe('between separate processes', () => {
  it('lets exactly one process win each create-only race', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `race/create/${i}`)
    const startAt = Date.now() + 700
    const outcomes = (await Promise.all(
      ['p0', 'p1', 'p2', 'p3'].map((value) => runChild(bundle.dir, { op: 'create-only', root, keys, value, startAt })),
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
    const startAt = Date.now() + 700
    const results = (await Promise.all(
      [0, 1, 2].map(() => runChild(bundle.dir, { op: 'increment', root, key, times: 60, startAt })),
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
    const driver = createFsDriver({ root, lockStaleMs: 1500 })
    const started = Date.now()
    await driver.put(key, text('after the crash'))
    const waited = Date.now() - started
    expect(decode((await driver.get(key)).body)).toBe('after the crash')
    expect(waited).toBeGreaterThanOrEqual(1000)
    expect(waited).toBeLessThan(5000)
  })

  it('does not break the lock of a live process that is merely slow', async () => {
    const key = 'locks/live'
    const holder = startChild(bundle.dir, { op: 'hold-lock', root, key })
    try {
      expect(await holder.nextMessage()).toBe('locked')
      const driver = createFsDriver({ root, lockStaleMs: 200, lockTimeoutMs: 1500 })
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
