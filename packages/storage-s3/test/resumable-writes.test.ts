import { createHash, randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isDriverError, type StorageDriver, type WriteState } from '@wharf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Driver, type S3WriteState } from '../src/index.js'
import { chunksOf, createInspector, readAll, roundTrip, testDriverOptions, uniquePrefix } from './support/s3-server.js'

const MiB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('s3 resumable writes', () => {
  // Two driver instances stand for two registry processes sharing the bucket.
  let first: StorageDriver
  let second: StorageDriver
  const inspector = createInspector()

  beforeAll(() => {
    first = createS3Driver(testDriverOptions())
    second = createS3Driver(testDriverOptions())
  })
  afterAll(async () => {
    await first.close?.()
    await second.close?.()
    inspector.close()
  })

  it('continues an upload of chunks under 5 MiB in another process, from the JSON state alone', async () => {
    const key = `${uniquePrefix('resume')}/data`
    const data = randomBytes(21 * MiB + 12345)
    // PATCH sizes as chunked clients send them: all below S3's 5 MiB minimum part size.
    const sizes = [1024, 3 * MiB, 1, 4 * MiB + 17, 2 * MiB, 4 * MiB, 3 * MiB, 5 * MiB - 1]
    let state = roundTrip(await first.startWrite(key))
    let at = 0
    for (const [i, size] of [...sizes, data.length].entries()) {
      const end = Math.min(at + size, data.length)
      const driver = i % 2 === 0 ? first : second
      state = roundTrip(await driver.appendWrite(state, chunksOf(data.subarray(at, end), 64 * 1024)))
      at = end
      expect(state.size).toBe(at)
      const tail = (state as S3WriteState).tail
      expect(tail?.size ?? 0).toBeLessThan(5 * MiB)
      expect(await first.stat(key)).toBeUndefined()
    }
    expect((state as S3WriteState).parts.length).toBeGreaterThanOrEqual(2)
    await second.finishWrite(state)
    expect(sha(await readAll(await first.read(key)))).toBe(sha(data))
    expect(await inspector.objects(`${key}~tail/`)).toEqual([])
  })

  it('replays appends from an older state across part boundaries without keeping abandoned bytes', async () => {
    const key = `${uniquePrefix('replay')}/data`
    const head = randomBytes(3 * MiB)
    const lost = randomBytes(12 * MiB)
    const kept = randomBytes(11 * MiB)
    const acknowledged = roundTrip(await first.appendWrite(await first.startWrite(key), chunksOf(head, MiB)))
    // A process appends (uploading parts and a tail), then dies before recording the new state.
    const abandoned = await first.appendWrite(roundTrip(acknowledged), chunksOf(lost, MiB))
    expect((abandoned as S3WriteState).parts.length).toBeGreaterThan(0)
    // The client retries the PATCH on another process, from the recorded (older) state.
    const replayed = await second.appendWrite(roundTrip(acknowledged), chunksOf(kept, 256 * 1024))
    await second.finishWrite(roundTrip(replayed))
    const back = await readAll(await first.read(key))
    expect(back.length).toBe(head.length + kept.length)
    expect(sha(back)).toBe(sha(Buffer.concat([head, kept])))
  })

  it('never mixes the parts of a late abandoned append into a finished blob', async () => {
    const key = `${uniquePrefix('zombie')}/data`
    const start = roundTrip(await first.startWrite(key))
    const good = randomBytes(9 * MiB)
    const replayed = await second.appendWrite(start, chunksOf(good, MiB))
    // A stalled process wakes up and uploads part 1 again from the same old state, after the replay.
    await first.appendWrite(start, chunksOf(randomBytes(9 * MiB), MiB))
    const finished = await second.finishWrite(replayed).then(
      () => 'finished',
      (error: unknown) => error,
    )
    if (finished === 'finished') {
      expect(sha(await readAll(await first.read(key)))).toBe(sha(good))
    } else {
      // S3 checks each part's ETag at completion: the overwritten part is refused, not joined.
      expect(isDriverError(finished)).toBe(true)
      expect(await first.stat(key)).toBeUndefined()
    }
    await first.abortWrite(replayed)
  })

  it('keeps at most the tails of the last two states while appending, and none once finished', async () => {
    const p = uniquePrefix('tails')
    const key = `${p}/data`
    let state: WriteState = await first.startWrite(key)
    for (let i = 0; i < 12; i++) {
      state = await (i % 2 ? second : first).appendWrite(roundTrip(state), chunksOf(randomBytes(100_000), 10_000))
      expect((await inspector.objects(`${key}~tail/`)).length).toBeLessThanOrEqual(2)
    }
    await first.finishWrite(roundTrip(state))
    expect(await inspector.objects(`${p}/`)).toEqual([`test/${p.slice('test/'.length)}/data`])
    expect((await first.stat(key))?.size).toBe(1_200_000)
  })

  it('aborts without leaving a multipart upload or a tail behind', async () => {
    const p = uniquePrefix('abort')
    const key = `${p}/data`
    let state = await first.startWrite(key)
    state = await first.appendWrite(state, chunksOf(randomBytes(11 * MiB), MiB))
    expect(await inspector.multipartUploads(p)).toEqual([key])
    await second.abortWrite(roundTrip(state))
    await second.abortWrite(roundTrip(state))
    expect(await inspector.multipartUploads(p)).toEqual([])
    expect(await inspector.objects(`${p}/`)).toEqual([])
  })

  it('does not bring an aborted write back to life when finish comes late', async () => {
    for (const size of [0, 1000, 6 * MiB]) {
      const key = `${uniquePrefix('late-finish')}/data`
      const state = roundTrip(await first.appendWrite(await first.startWrite(key), chunksOf(randomBytes(size), MiB)))
      await second.abortWrite(state)
      await expect(first.finishWrite(state)).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))
      expect(await first.stat(key)).toBeUndefined()
    }
  })

  it('leaves no multipart upload behind after finishing, whatever the size', async () => {
    const p = uniquePrefix('finish')
    for (const size of [0, 1000, 6 * MiB]) {
      const key = `${p}/data-${size}`
      const state = await first.appendWrite(await first.startWrite(key), chunksOf(randomBytes(size), MiB))
      await first.finishWrite(roundTrip(state))
      expect((await first.stat(key))?.size).toBe(size)
    }
    expect(await inspector.multipartUploads(p)).toEqual([])
  })

  it('treats a repeated finish (after a lost answer) as done', async () => {
    for (const size of [2000, 6 * MiB + 3]) {
      const key = `${uniquePrefix('refinish')}/data`
      const data = randomBytes(size)
      const state = roundTrip(await first.appendWrite(await first.startWrite(key), chunksOf(data, MiB)))
      await first.finishWrite(state)
      await second.finishWrite(state)
      expect(sha(await readAll(await second.read(key)))).toBe(sha(data))
    }
  })

  it('refuses a state that points outside its own write as invalid', async () => {
    const key = `${uniquePrefix('forged')}/data`
    const state = await first.startWrite(key)
    const forged = { ...state, size: 3, tail: { key: 'blobs/sha256/aa/victim', size: 3, etag: '"x"' } }
    await expect(first.appendWrite(forged, chunksOf(Buffer.from('abc'), 3))).rejects.toSatisfy((e: unknown) => isDriverError(e, 'invalid'))
    await expect(first.finishWrite({ key, size: 0 })).rejects.toSatisfy((e: unknown) => isDriverError(e, 'invalid'))
    await first.abortWrite(state)
  })

  it('holds about two parts of memory however much one append streams', async () => {
    const key = `${uniquePrefix('memory')}/data`
    const block = randomBytes(64 * 1024)
    async function* stream(total: number) {
      for (let sent = 0; sent < total; sent += block.length) yield block
    }
    let state = await first.startWrite(key)
    // A collected baseline, so that garbage of earlier tests neither inflates nor hides the peak.
    setFlagsFromString('--expose-gc')
    ;(runInNewContext('gc') as () => void)()
    const before = process.memoryUsage().arrayBuffers
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)), 10)
    try {
      state = await first.appendWrite(state, stream(128 * MiB))
    } finally {
      clearInterval(sampler)
    }
    expect(state.size).toBe(128 * MiB)
    // Two 8 MiB part buffers (one uploading, one filling; measured: 16.0 MiB), not the 128 MiB streamed.
    expect(peak).toBeLessThan(24 * MiB)
    await first.abortWrite(state)
  })
})
