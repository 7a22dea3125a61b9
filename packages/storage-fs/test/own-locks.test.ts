import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFsDriver } from '@wharf/storage-fs'
import { withKeyLock } from '../src/key-lock.js'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wharf-fs-own-locks-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const text = (s: string) => new TextEncoder().encode(s)
const decode = (b: Uint8Array) => new TextDecoder().decode(b)
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000)

describe('locks that name this very process', () => {
  it('breaks one this process no longer holds (its directory moved away and back mid-write) instead of waiting out the live-holder grace', async () => {
    // Invariant: a lock file naming this process that this process does not hold can never be
    // released by anyone, so a writer breaks it rather than failing every write to the key. With a
    // 60 s stale age the grace for a live holder is 10 minutes, far beyond the 20 s lock timeout:
    // before the fix this put failed with `unavailable`.
    const driver = createFsDriver({ root, lockStaleMs: 60_000, lockTimeoutMs: 20_000 })
    await mkdir(join(root, 'probe'), { recursive: true })
    const lock = join(root, 'probe', '.lock-key,')
    await writeFile(lock, `${process.pid} ${hostname()}\n`)
    await utimes(lock, secondsAgo(2), secondsAgo(2))
    await driver.put('probe/key', text('written'))
    expect(decode((await driver.get('probe/key')).body)).toBe('written')
  })

  it('is left behind when the directory is swapped during the locked section, and the next write still succeeds', async () => {
    const driver = createFsDriver({ root, lockStaleMs: 60_000, lockTimeoutMs: 20_000 })
    await driver.put('swap/key', text('first'))
    const dir = join(root, 'swap')
    const lockPath = join(dir, '.lock-key,')
    // Hold the key's lock, move the directory away and back while it is held: the release then
    // misses the lock file, exactly as the storage health probe did when the root was replaced.
    await withKeyLock(lockPath, { staleMs: 60_000, timeoutMs: 1000 }, async () => {
      await rename(dir, `${dir}.away`)
      await mkdir(dir)
    }).catch(() => undefined)
    await rm(dir, { recursive: true })
    await rename(`${dir}.away`, dir)
    await utimes(lockPath, secondsAgo(2), secondsAgo(2))
    await driver.put('swap/key', text('second'))
    expect(decode((await driver.get('swap/key')).body)).toBe('second')
  })

  it('does not break one this process still holds, however old', async () => {
    // Invariant: two writers in one process never both hold a key's lock.
    const driver = createFsDriver({ root, lockStaleMs: 500, lockTimeoutMs: 1500 })
    await mkdir(join(root, 'held'), { recursive: true })
    const lockPath = join(root, 'held', '.lock-key,')
    let release!: () => void
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => (locked = resolve))
    const holder = withKeyLock(lockPath, { staleMs: 500, timeoutMs: 1000 }, async () => {
      await utimes(lockPath, secondsAgo(30), secondsAgo(30)) // older than the orphan floor, staleMs and its live-holder grace (5 s)
      locked()
      await new Promise<void>((resolve) => (release = resolve))
    })
    await isLocked
    await expect(driver.put('held/key', text('must wait'))).rejects.toThrow(/lock busy/)
    expect(await driver.stat('held/key')).toBeUndefined()
    release()
    await holder
    await driver.put('held/key', text('after release'))
    expect(decode((await driver.get('held/key')).body)).toBe('after release')
  })
})
