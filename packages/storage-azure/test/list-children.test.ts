import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js'

const collect = async (items: AsyncIterable<string>) => {
  const all: string[] = []
  for await (const item of items) all.push(item)
  return all
}

describe('listChildren: one level of the key tree with listBlobsByHierarchy', () => {
  const container = freshContainer('children')
  let proxy: RecordingProxy
  let driver: StorageDriver

  beforeAll(async () => {
    proxy = await startRecordingProxy(inject('azureEndpoint'))
    driver = createAzureDriver(keyOptions(container, { endpoint: proxy.endpoint, prefix: 'reg' }))
    const keys = ['tree/a', 'tree/a-b', 'tree/a/x', 'tree/a/y/z', 'tree/b/c', 'tree/c', 'treeish']
    await Promise.all(keys.map((k) => driver.put(k, new Uint8Array(1))))
  })
  afterAll(async () => {
    await proxy.close()
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  it('yields the keys directly under the prefix and each subdirectory once, with a slash, in lexical order', async () => {
    proxy.exchanges.length = 0
    expect(await collect(driver.listChildren!('tree/'))).toEqual(['a', 'a-b', 'a/', 'b/', 'c'])
    const lists = proxy.exchanges.filter((x) => x.url.searchParams.get('comp') === 'list')
    expect(lists).toHaveLength(1)
    expect(lists[0]!.url.searchParams.get('delimiter')).toBe('/')
    expect(lists[0]!.url.searchParams.get('prefix')).toBe('reg/tree/')
    expect(await collect(driver.listChildren!('tree/a/'))).toEqual(['x', 'y/'])
  })

  it('yields nothing for a prefix no key starts with', async () => {
    expect(await collect(driver.listChildren!('nothing/'))).toEqual([])
  })
})
