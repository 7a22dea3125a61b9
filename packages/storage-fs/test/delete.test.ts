import { access, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()
const exists = (path: string) => access(path).then(() => true, () => false)

describe('deletes', () => {
  it('removes directories a delete leaves empty, up to but not including the root', async () => {
    const driver = store.driver()
    await driver.put('deep/a/b/c/leaf', text('x'))
    await driver.put('deep/a/sibling', text('y'))
    await driver.delete('deep/a/b/c/leaf')
    expect(await exists(join(store.root(), 'deep/a/b'))).toBe(false)
    expect(await exists(join(store.root(), 'deep/a'))).toBe(true)
    await driver.delete('deep/a/sibling')
    expect(await exists(join(store.root(), 'deep'))).toBe(false)
    expect(await exists(store.root())).toBe(true)
    // And the store keeps working where those directories were.
    await driver.put('deep/a/b/c/leaf', text('again'))
    expect((await driver.list('deep/')).keys).toEqual(['deep/a/b/c/leaf'])
  })

  it('deletes a key that is also a prefix of other keys without touching them', async () => {
    const driver = store.driver()
    await driver.put('both/repo', text('marker'))
    await driver.put('both/repo/nested', text('n'))
    await driver.delete('both/repo')
    expect((await driver.list('both/')).keys).toEqual(['both/repo/nested'])
  })

  it('deletes by a prefix that ends inside a segment, and only what matches', async () => {
    const driver = store.driver()
    for (const k of ['p/lib', 'p/lib/x', 'p/library/y', 'p/li', 'p/other/z']) await driver.put(k, text(k))
    await driver.deletePrefix('p/lib')
    expect((await driver.list('p/')).keys).toEqual(['p/li', 'p/other/z'])
    await driver.deletePrefix('p/')
    expect((await driver.list('p/')).keys).toEqual([])
    expect(await readdir(store.root())).not.toContain('p')
  })

  it('deletes missing keys and prefixes without complaint', async () => {
    const driver = store.driver()
    await driver.delete('never/was/here')
    await driver.deletePrefix('never/')
  })
})
