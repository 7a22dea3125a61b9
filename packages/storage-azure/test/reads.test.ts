import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { isDriverError, type StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js'

const MiB = 1024 * 1024

describe('streamed reads', () => {
  const container = freshContainer('reads')
  const size = 48 * MiB
  let proxy: RecordingProxy
  let driver: StorageDriver

  beforeAll(async () => {
    proxy = await startRecordingProxy(inject('azureEndpoint'))
    driver = createAzureDriver(keyOptions(container, { endpoint: proxy.endpoint }))
    await driver.put('big', randomBytes(size))
  })
  afterAll(async () => {
    await proxy.close()
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  const lastDownload = () => proxy.exchanges.filter((x) => x.method === 'GET' && x.url.pathname.endsWith('/big')).at(-1)

  it('pulls from Azure only as fast as the reader reads, and hangs up when the reader cancels', async () => {
    const reader = (await driver.read('big')).getReader()
    expect((await reader.read()).done).toBe(false)
    await new Promise((r) => setTimeout(r, 300))
    const download = lastDownload()!
    console.info(`forwarded after one chunk and 300 ms idle: ${(download.bytesSent / MiB).toFixed(1)} MiB of ${size / MiB} MiB`)
    // Socket and stream buffers hold a few MiB at most; the rest waits at Azure.
    expect(download.bytesSent).toBeLessThan(size / 2)
    await reader.cancel()
    await download.closed
    expect(download.completed).toBe(false)
    expect(download.bytesSent).toBeLessThan(size / 2)
  })

  it('stops the download when the signal aborts', async () => {
    const controller = new AbortController()
    const reader = (await driver.read('big', { signal: controller.signal })).getReader()
    await reader.read()
    controller.abort()
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return
      })(),
    ).rejects.toThrow()
    const download = lastDownload()!
    await download.closed
    expect(download.completed).toBe(false)
  })

  it('asks Azure for exactly the requested range', async () => {
    const parts: Uint8Array[] = []
    for await (const part of (await driver.read('big', { offset: 5, length: 10 })) as unknown as AsyncIterable<Uint8Array>) parts.push(part)
    expect(Buffer.concat(parts)).toHaveLength(10)
    const download = lastDownload()!
    expect(download.bytesSent).toBe(10)
    expect(download.completed).toBe(true)
  })

  it('answers a zero-length range with an empty stream, and not-found for a missing key', async () => {
    const stream = await driver.read('big', { offset: 7, length: 0 })
    expect((await stream.getReader().read()).done).toBe(true)
    await expect(driver.read('missing', { offset: 0, length: 0 })).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))
  })
})
