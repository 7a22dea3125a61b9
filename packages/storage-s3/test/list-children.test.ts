import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { StorageDriver } from '@wharf/core'
import { createS3Driver } from '../src/index.js'
import { startRecordingProxy } from './support/recording-proxy.js'
import { testDriverOptions, uniquePrefix } from './support/s3-server.js'

const collect = async (items: AsyncIterable<string>) => {
  const all: string[] = []
  for await (const item of items) all.push(item)
  return all
}

describe('listChildren: one level of the key tree with Delimiter=/', () => {
  const prefix = uniquePrefix('children')
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>
  let driver: StorageDriver
  const many = Array.from({ length: 1020 }, (_, i) => `wide/d${String(i).padStart(4, '0')}/link`)

  beforeAll(async () => {
    proxy = await startRecordingProxy(inject('s3').endpoint)
    driver = createS3Driver(testDriverOptions({ prefix, endpoint: proxy.endpoint }))
    const keys = ['tree/a', 'tree/a-b', 'tree/a/x', 'tree/a/y/z', 'tree/b/c', 'tree/c', 'treeish', ...many]
    for (let i = 0; i < keys.length; i += 64) await Promise.all(keys.slice(i, i + 64).map((k) => driver.put(k, new Uint8Array(1))))
  }, 120_000)

  afterAll(async () => {
    await driver.deletePrefix('tree/')
    await driver.deletePrefix('wide/')
    await driver.delete('treeish')
    await driver.close?.()
    await proxy.close()
  })

  const listCalls = () => proxy.requests.filter((r) => r.method === 'GET' && new URL(r.url, 'http://x').searchParams.get('list-type') === '2')

  it('yields the keys directly under the prefix and each subdirectory once, with a slash, in lexical order', async () => {
    expect(await collect(driver.listChildren!('tree/'))).toEqual(['a', 'a-b', 'a/', 'b/', 'c'])
    expect(await collect(driver.listChildren!('tree/a/'))).toEqual(['x', 'y/'])
  })

  it('yields nothing for a prefix no key starts with', async () => {
    expect(await collect(driver.listChildren!('nothing/'))).toEqual([])
  })

  it('pages with the continuation token: 1,020 subdirectories in two list calls', async () => {
    proxy.requests.length = 0
    const names = await collect(driver.listChildren!('wide/'))
    expect(names).toEqual(many.map((k) => k.slice('wide/'.length, -'link'.length)))
    expect(listCalls()).toHaveLength(2)
    expect(new URL(listCalls()[0]!.url, 'http://x').searchParams.get('delimiter')).toBe('/')
  })
})
