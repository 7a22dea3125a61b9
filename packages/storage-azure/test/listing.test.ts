import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js'

describe('listing with a start-after cursor', () => {
  const container = freshContainer('listing')
  const names = Array.from({ length: 30 }, (_, i) => `tags/v${String(i).padStart(2, '0')}`)
  let proxy: RecordingProxy
  let driver: StorageDriver

  beforeAll(async () => {
    proxy = await startRecordingProxy(inject('azureEndpoint'))
    driver = createAzureDriver(keyOptions(container, { endpoint: proxy.endpoint, prefix: 'reg' }))
    await Promise.all(names.map((n) => driver.put(n, new TextEncoder().encode(n))))
    await driver.put('tagsx', new Uint8Array(1))
  })
  afterAll(async () => {
    await proxy.close()
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  const listCalls = () => proxy.exchanges.map((x) => x.url).filter((u) => u.searchParams.get('comp') === 'list')

  it('asks Azure to start at the cursor (startFrom) for limit + 2 names, and returns the keys after it', async () => {
    proxy.exchanges.length = 0
    const page = await driver.list('tags/', { startAfter: 'tags/v10', limit: 5 })
    expect(page).toEqual({ keys: ['tags/v11', 'tags/v12', 'tags/v13', 'tags/v14', 'tags/v15'], truncated: true })
    const first = listCalls()[0]
    expect(first?.searchParams.get('prefix')).toBe('reg/tags/')
    expect(first?.searchParams.get('startFrom')).toBe('reg/tags/v10')
    expect(first?.searchParams.get('maxresults')).toBe('7')
  })

  it('says the last page is the last one, even when it is exactly full', async () => {
    expect(await driver.list('tags/', { startAfter: 'tags/v24', limit: 5 })).toEqual({
      keys: ['tags/v25', 'tags/v26', 'tags/v27', 'tags/v28', 'tags/v29'],
      truncated: false,
    })
    expect(await driver.list('tags/', { startAfter: 'tags/v29', limit: 5 })).toEqual({ keys: [], truncated: false })
  })

  it('accepts a cursor that is not a key, and keeps keys outside the prefix out', async () => {
    const page = await driver.list('tags/', { startAfter: 'tags/v10-rc', limit: 2 })
    expect(page.keys).toEqual(['tags/v11', 'tags/v12'])
    const all = await driver.list('tags/', { limit: 1000 })
    expect(all.keys).toEqual(names)
    expect(all.truncated).toBe(false)
  })

  it('caps a huge limit at what one List Blobs call returns', async () => {
    proxy.exchanges.length = 0
    await driver.list('tags/', { limit: 1_000_000 })
    expect(listCalls().map((u) => u.searchParams.get('maxresults'))).toEqual(['5000'])
  })
})
