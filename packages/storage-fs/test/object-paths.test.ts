import { describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { createObjectPaths, toObjectPath } from '../src/key-paths.js'

describe('remembered object paths', () => {
  it('answers as toObjectPath does, before and after a key is remembered', () => {
    const paths = createObjectPaths('/store', 2)
    for (const key of ['a/b', 'a/b', 'c', 'a/b', 'd/e/f', 'c']) expect(paths(key)).toBe(toObjectPath('/store', key))
  })

  it('refuses an invalid key every time, never remembering it', () => {
    const paths = createObjectPaths('/store', 2)
    for (let i = 0; i < 3; i++) expect(() => paths('a/../../outside')).toThrow(expect.toSatisfy((e: unknown) => isDriverError(e, 'invalid')))
  })

  it('keeps answering right past its bound (the oldest entry goes)', () => {
    const paths = createObjectPaths('/store', 3)
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}/x`)
    for (const key of [...keys, ...keys.reverse()]) expect(paths(key)).toBe(`/store/${key},`)
  })
})
