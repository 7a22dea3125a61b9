import { readdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()
const isInvalid = (e: unknown) => isDriverError(e, 'invalid')

const badKeys = [
  '',
  '/etc/passwd',
  '../outside',
  'a/../../outside',
  'a/./b',
  'a//b',
  'a/',
  '.hidden',
  'a/.tmp-123',
  'a\\..\\b',
  'a\0b',
  'a b',
  'ü',
  'x'.repeat(300),
]

describe('key validation', () => {
  it.each(badKeys)('refuses the key %j for every operation, touching nothing', async (key) => {
    const driver = store.driver()
    await expect(driver.put(key, text('x'))).rejects.toSatisfy(isInvalid)
    await expect(driver.get(key)).rejects.toSatisfy(isInvalid)
    await expect(driver.stat(key)).rejects.toSatisfy(isInvalid)
    await expect(driver.read(key)).rejects.toSatisfy(isInvalid)
    await expect(driver.delete(key)).rejects.toSatisfy(isInvalid)
    await expect(driver.startWrite(key)).rejects.toSatisfy(isInvalid)
    expect(await readdir(dirname(store.root()))).not.toContain('outside')
  })

  it.each(['../', '/abs/', 'a//', '.writes/', 'a/.x'])('refuses the prefix %j for list and deletePrefix', async (prefix) => {
    const driver = store.driver()
    await expect(driver.list(prefix)).rejects.toSatisfy(isInvalid)
    await expect(driver.deletePrefix(prefix)).rejects.toSatisfy(isInvalid)
  })

  it('accepts every character of the key alphabet', async () => {
    const driver = store.driver()
    const key = 'A-Za_z0.9:@=+-/sha256:ab/x.y'
    await driver.put(key, text('ok'))
    expect((await driver.list('A-')).keys).toEqual([key])
  })

  it('refuses a write state whose staged path points outside the store', async () => {
    const driver = store.driver()
    const good = await driver.startWrite('data/ok')
    for (const tempPath of ['../../etc/passwd', '/etc/passwd', '.writes/../../x', 'data/ok', '.writes/not-a-uuid']) {
      const state = { ...good, tempPath }
      await expect(driver.appendWrite(state, (async function* () {})())).rejects.toSatisfy(isInvalid)
      await expect(driver.finishWrite(state)).rejects.toSatisfy(isInvalid)
      await expect(driver.abortWrite(state)).rejects.toSatisfy(isInvalid)
    }
    for (const size of [-1, 1.5, Number.NaN, '3']) {
      await expect(driver.finishWrite({ ...good, size } as never)).rejects.toSatisfy(isInvalid)
    }
    await expect(driver.finishWrite({ ...good, key: '../x' })).rejects.toSatisfy(isInvalid)
  })
})
