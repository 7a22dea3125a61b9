import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js'

const MiB = 1024 * 1024

/**
 * `size` bytes in 1 MiB chunks from ONE reused buffer (as an HTTP parser may reuse its buffers):
 * the test holds no copy of the data, and the driver must copy what it keeps.
 */
function generate(size: number, hash: ReturnType<typeof createHash>): AsyncIterable<Uint8Array> {
  const chunk = Buffer.alloc(MiB)
  return (async function* () {
    for (let at = 0, n = 0; at < size; at += MiB, n++) {
      chunk.writeUInt32BE(n, 0)
      chunk.writeUInt32BE(n * 2654435761 >>> 0, MiB - 4)
      const part = chunk.subarray(0, Math.min(MiB, size - at))
      hash.update(part)
      yield part
    }
  })()
}

async function sha256Of(driver: StorageDriver, key: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const part of (await driver.read(key)) as unknown as AsyncIterable<Uint8Array>) hash.update(part)
  return hash.digest('hex')
}

/**
 * Writes `size` bytes in one append and returns how long the append and the finish took, and the
 * requests the finish sent (as `METHOD ?query`, plus whether any asked Azure to copy).
 */
async function timedWrite(driver: StorageDriver, proxy: RecordingProxy, key: string, size: number, onTick?: () => void) {
  const hash = createHash('sha256')
  const timer = onTick ? setInterval(onTick, 10) : undefined
  const t0 = performance.now()
  const state = await driver.appendWrite(await driver.startWrite(key), generate(size, hash))
  const t1 = performance.now()
  if (timer) clearInterval(timer)
  const before = proxy.exchanges.length
  await driver.finishWrite(JSON.parse(JSON.stringify(state)))
  const t2 = performance.now()
  const finish = proxy.exchanges.slice(before)
  return {
    appendMs: t1 - t0,
    finishMs: t2 - t1,
    sha256: hash.digest('hex'),
    finishRequests: finish.map((e) => `${e.method} ?${[...e.url.searchParams.keys()].sort().join('&')}`),
    copies: finish.filter((e) => Object.keys(e.headers).some((h) => h.startsWith('x-ms-copy-source'))).length,
  }
}

describe('large resumable writes', () => {
  const container = freshContainer('large')
  let driver: StorageDriver
  let proxy: RecordingProxy

  beforeAll(async () => {
    proxy = await startRecordingProxy(inject('azureEndpoint'))
    driver = createAzureDriver(keyOptions(container, { endpoint: proxy.endpoint }))
    await driver.put('warm-up', new Uint8Array(1))
  })
  afterAll(async () => {
    await sdkService().getContainerClient(container).deleteIfExists()
    await proxy?.close()
  })

  it('commits 256 MiB with the same requests as 64 MiB (no copy), with memory bounded by about one block', async () => {
    const small = await timedWrite(driver, proxy, 'data/64m', 64 * MiB)
    global.gc?.()
    const before = process.memoryUsage().arrayBuffers
    let peak = before
    const large = await timedWrite(driver, proxy, 'data/256m', 256 * MiB, () => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers)
    })
    const growthMiB = (peak - before) / MiB
    console.info(
      `64 MiB: append ${small.appendMs.toFixed(0)} ms, finish ${small.finishMs.toFixed(1)} ms; ` +
        `256 MiB: append ${large.appendMs.toFixed(0)} ms, finish ${large.finishMs.toFixed(1)} ms; ` +
        `peak extra ArrayBuffer memory during the 256 MiB append ${growthMiB.toFixed(1)} MiB`,
    )
    // Committing joins the staged blocks: the same requests whatever the size, none of them a copy
    // (a copy's time would grow with the size). Durations are printed above, never asserted.
    expect(large.finishRequests).toEqual(small.finishRequests)
    expect(large.copies + small.copies).toBe(0)
    expect(large.finishRequests).toContain('PUT ?comp')
    // Default 8 MiB blocks: the block buffer, its growth steps and the source chunk, not 256 MiB.
    expect(growthMiB).toBeLessThan(48)

    expect((await driver.stat('data/256m'))?.size).toBe(256 * MiB)
    expect(await sha256Of(driver, 'data/256m')).toBe(large.sha256)
    expect(await sha256Of(driver, 'data/64m')).toBe(small.sha256)
  }, 180_000)
})
