import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

// Names whose byte order differs from a per-directory walk in name order: '-' (0x2d) < '.' (0x2e)
// < '/' (0x2f) < '0' (0x30) < ':' < '=' < '@' < 'A' < '_' < 'a', and a key may also be a "directory".
const names = ['a', 'a-b', 'a.b', 'a/b', 'a/b/c', 'a/b-c', 'a/b/c/d', 'a0', 'a:b', 'a=b', 'a@b', 'A', '_x', 'a+b', 'b', 'ab', 'a/-', 'z/z/z/z']

describe('listing', () => {
  it('lists full keys in byte order whatever the directory structure', async () => {
    const driver = store.driver()
    await Promise.all(names.map((n) => driver.put(`order/${n}`, text(n))))
    const expected = names.map((n) => `order/${n}`).sort(byteOrder)
    expect((await driver.list('order/')).keys).toEqual(expected)
  })

  it('pages with every page size and every cursor, agreeing with one full listing', async () => {
    const driver = store.driver()
    const all = (await driver.list('order/')).keys
    for (let limit = 1; limit <= all.length + 1; limit++) {
      const seen: string[] = []
      let startAfter: string | undefined
      for (;;) {
        const page = await driver.list('order/', { limit, ...(startAfter ? { startAfter } : {}) })
        seen.push(...page.keys)
        if (!page.truncated) break
        startAfter = page.keys.at(-1)
      }
      expect(seen).toEqual(all)
    }
    // Cursors that are not themselves keys still cut at the right place.
    for (const cursor of ['order/a/', 'order/a/b/', 'order/a/b/c/', 'order/a-', 'order/a/zzz', 'order/', 'order/~']) {
      expect((await driver.list('order/', { startAfter: cursor })).keys).toEqual(all.filter((k) => byteOrder(k, cursor) > 0))
    }
  })

  it('matches prefixes that end inside a key segment', async () => {
    const driver = store.driver()
    const all = (await driver.list('order/')).keys
    for (const prefix of ['order/a', 'order/a/b', 'order/a/b-', 'order/A', 'order/z']) {
      expect((await driver.list(prefix)).keys).toEqual(all.filter((k) => k.startsWith(prefix)))
    }
    expect((await driver.list('ord')).keys).toEqual(all)
    expect((await driver.list('order/q')).keys).toEqual([])
    expect((await driver.list('missing/dir/')).keys).toEqual([])
  })

  it('never lists temp files, locks, staged writes or foreign files', async () => {
    const driver = store.driver()
    await driver.put('hidden/visible', text('v'))
    const dir = join(store.root(), 'hidden')
    await writeFile(join(dir, '.tmp-00000000-0000-0000-0000-000000000000'), 'temp')
    await writeFile(join(dir, '.lock-visible,'), '1 host')
    await writeFile(join(dir, 'no-suffix'), 'someone else put this here')
    await mkdir(join(dir, '.git'), { recursive: true })
    await writeFile(join(dir, '.git', 'x,'), 'x')
    const staged = await driver.startWrite('hidden/staged')
    await driver.appendWrite(staged, (async function* () {
      yield text('not finished')
    })())
    expect((await driver.list('hidden/')).keys).toEqual(['hidden/visible'])
    expect((await driver.list('')).keys.filter((k) => !k.startsWith('order/'))).toEqual(['hidden/visible'])
  })

  it('stops at the limit and says whether more keys follow', async () => {
    const driver = store.driver()
    await Promise.all(Array.from({ length: 30 }, (_, i) => driver.put(`many/${String(i).padStart(2, '0')}`, text('x'))))
    expect(await driver.list('many/', { limit: 30 })).toEqual({ keys: expect.any(Array), truncated: false })
    const page = await driver.list('many/', { limit: 29 })
    expect(page.truncated).toBe(true)
    expect(page.keys).toHaveLength(29)
  })
})
