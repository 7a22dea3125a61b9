import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'

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

/** Writes `size` bytes in one append and returns how long the append and the finish took. */
async function timedWrite(driver: StorageDriver, key: string, size: number, onTick?: () => void) {
  const hash = createHash('sha256')
  const timer = onTick ? setInterval(onTick, 10) : undefined
  const t0 = performance.now()
  const state = await driver.appendWrite(await driver.startWrite(key), generate(size, hash))
  const t1 = performance.now()
  if (timer) clearInterval(timer)
  await driver.finishWrite(JSON.parse(JSON.stringify(state)))
  const t2 = performance.now()
  return { appendMs: t1 - t0, finishMs: t2 - t1, sha256: hash.digest('hex') }
}

describe('large resumable writes', () => {
  const container = freshContainer('large')
  let driver: StorageDriver

  beforeAll(async () => {
    driver = createAzureDriver(keyOptions(container))
    await driver.put('warm-up', new Uint8Array(1))
  })
  afterAll(async () => {
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  it('commits 256 MiB about as fast as 64 MiB (no copy), with memory bounded by about one block', async () => {
    const small = await timedWrite(driver, 'data/64m', 64 * MiB)
    global.gc?.()
    const before = process.memoryUsage().arrayBuffers
    let peak = before
    const large = await timedWrite(driver, 'data/256m', 256 * MiB, () => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers)
    })
    const growthMiB = (peak - before) / MiB
    console.info(
      `64 MiB: append ${small.appendMs.toFixed(0)} ms, finish ${small.finishMs.toFixed(1)} ms; ` +
        `256 MiB: append ${large.appendMs.toFixed(0)} ms, finish ${large.finishMs.toFixed(1)} ms; ` +
        `peak extra ArrayBuffer memory during the 256 MiB append ${growthMiB.toFixed(1)} MiB`,
    )
    // Loose bounds: the 4x larger blob commits in well under 4x the time (a copy would scale).
    expect(large.finishMs).toBeLessThan(Math.max(3 * small.finishMs, 300))
    // Default 8 MiB blocks: the block buffer, its growth steps and the source chunk, not 256 MiB.
    expect(growthMiB).toBeLessThan(48)

    expect((await driver.stat('data/256m'))?.size).toBe(256 * MiB)
    expect(await sha256Of(driver, 'data/256m')).toBe(large.sha256)
    expect(await sha256Of(driver, 'data/64m')).toBe(small.sha256)
  }, 180_000)
})
