import { describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()

describe('etags', () => {
  it('differ for every write, even rapid same-size rewrites, so a stale etag never matches again', async () => {
    const driver = store.driver()
    const key = 'etag/rapid'
    const seen: string[] = []
    for (let i = 0; i < 300; i++) {
      // Same size every time; deleting between writes frees the inode for reuse.
      if (i % 3 === 0) await driver.delete(key)
      seen.push((await driver.put(key, text('same-size'))).etag)
    }
    expect(new Set(seen).size).toBe(seen.length)
    for (const stale of seen.slice(0, -1).slice(-20)) {
      await expect(driver.put(key, text('x'), { ifMatch: stale })).rejects.toSatisfy((e: unknown) => isDriverError(e, 'precondition-failed'))
    }
  })

  it('are what get, stat and put report for the same version, and are quoted like HTTP etags', async () => {
    const driver = store.driver()
    const { etag } = await driver.put('etag/same', text('v'))
    expect(etag).toMatch(/^"[0-9a-z-]+"$/)
    expect((await driver.get('etag/same')).etag).toBe(etag)
    expect((await driver.stat('etag/same'))?.etag).toBe(etag)
  })

  it('is given to a finished resumable write too, and differs from the previous version', async () => {
    const driver = store.driver()
    const before = await driver.put('etag/upload', text('old'))
    const state = await driver.startWrite('etag/upload')
    const written = await driver.appendWrite(state, (async function* () {
      yield text('new')
    })())
    await driver.finishWrite(written)
    const after = await driver.stat('etag/upload')
    expect(after?.etag).not.toBe(before.etag)
    await expect(driver.put('etag/upload', text('x'), { ifMatch: before.etag })).rejects.toSatisfy((e: unknown) =>
      isDriverError(e, 'precondition-failed'),
    )
  })
})

describe('modification stamps', () => {
  it('give files written within one clock tick strictly increasing modification times', async () => {
    const { open, rm } = await import('node:fs/promises')
    const { join } = await import('node:path')
    const { stampModified } = await import('../src/etag.js')
    const times: bigint[] = []
    for (let i = 0; i < 50; i++) {
      const path = join(store.root(), `stamp-${i}`)
      const handle = await open(path, 'w')
      times.push((await stampModified(handle)).mtimeNs)
      await handle.close()
      await rm(path)
    }
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!)
  })
})
