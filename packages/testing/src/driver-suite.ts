import { randomBytes, createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { isDriverError, type StorageDriver, type WriteState } from '@wharf/core'

/** Options of {@link describeDriverSuite}. */
export interface DriverSuiteOptions {
  /** Bytes written by the large-write tests; default 12 MiB (spans several S3-sized parts). */
  largeSize?: number
  /** Called once after the suite, e.g. to close the driver or stop a server. */
  teardown?: (driver: StorageDriver) => Promise<void> | void
}

/**
 * The driver conformance suite. Every driver (ours or a user's) runs it:
 *
 *     describeDriverSuite('my driver', () => createMyDriver(...))
 *
 * It registers vitest tests that check the contract in `driver/storage-driver.ts`: atomic and
 * conditional small writes, ranged reads, ordered paged listing, deletes, and resumable writes
 * continued from serialized state. Each test works under its own random key prefix, so the suite
 * may share a bucket or directory with other data.
 */
export function describeDriverSuite(
  name: string,
  createDriver: () => Promise<StorageDriver> | StorageDriver,
  options: DriverSuiteOptions = {},
): void {
  const largeSize = options.largeSize ?? 12 * 1024 * 1024
  describe(`storage driver conformance: ${name}`, () => {
    let driver: StorageDriver
    const prefix = () => `conformance/${randomBytes(6).toString('hex')}`
    const text = (s: string) => new TextEncoder().encode(s)
    const decode = (b: Uint8Array) => new TextDecoder().decode(b)

    beforeAll(async () => {
      driver = await createDriver()
    })
    afterAll(async () => {
      if (options.teardown) await options.teardown(driver)
    })

    async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
      const parts: Uint8Array[] = []
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) parts.push(chunk)
      return Buffer.concat(parts)
    }

    async function* chunks(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(at + size, data.length))
    }

    /** State goes through JSON as it does through a session record. */
    const roundTrip = (state: WriteState): WriteState => JSON.parse(JSON.stringify(state)) as WriteState

    it('declares its capabilities', () => {
      expect(typeof driver.name).toBe('string')
      expect(driver.capabilities.minChunkSize).toBeGreaterThanOrEqual(0)
      expect(typeof driver.capabilities.conditionalWrites).toBe('boolean')
      expect(typeof driver.capabilities.redirect).toBe('boolean')
      if (driver.capabilities.redirect) expect(typeof driver.presignGet).toBe('function')
    })

    it('reads back what it wrote, with size and etag', async () => {
      const key = `${prefix()}/a/b/small.json`
      const { etag } = await driver.put(key, text('{"x":1}'))
      const got = await driver.get(key)
      expect(decode(got.body)).toBe('{"x":1}')
      expect(got.etag).toBe(etag)
      expect(got.size).toBe(7)
      const info = await driver.stat(key)
      expect(info?.size).toBe(7)
      expect(info?.etag).toBe(etag)
      expect(info?.modified).toBeInstanceOf(Date)
    })

    it('writes and reads an empty object', async () => {
      const key = `${prefix()}/empty`
      await driver.put(key, new Uint8Array(0))
      expect((await driver.get(key)).body.length).toBe(0)
      expect(await readAll(await driver.read(key))).toHaveLength(0)
    })

    it('reports a missing key as not-found or undefined', async () => {
      const key = `${prefix()}/missing`
      await expect(driver.get(key)).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))
      await expect(driver.read(key)).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))
      expect(await driver.stat(key)).toBeUndefined()
    })

    it('overwrites and changes the etag', async () => {
      const key = `${prefix()}/over`
      const first = await driver.put(key, text('one'))
      const second = await driver.put(key, text('two'))
      expect(second.etag).not.toBe(first.etag)
      expect(decode((await driver.get(key)).body)).toBe('two')
    })

    it('create-only write fails when the key exists', async () => {
      const key = `${prefix()}/create-only`
      await driver.put(key, text('first'), { ifNoneMatch: '*' })
      await expect(driver.put(key, text('second'), { ifNoneMatch: '*' })).rejects.toSatisfy((e: unknown) =>
        isDriverError(e, 'precondition-failed'),
      )
      expect(decode((await driver.get(key)).body)).toBe('first')
    })

    it('lets exactly one of many concurrent create-only writes win', async () => {
      const key = `${prefix()}/race`
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => driver.put(key, text(`writer-${i}`), { ifNoneMatch: '*' })),
      )
      const won = results.filter((r) => r.status === 'fulfilled')
      expect(won).toHaveLength(1)
      for (const r of results) {
        if (r.status === 'rejected') expect(isDriverError(r.reason, 'precondition-failed')).toBe(true)
      }
      const winner = results.findIndex((r) => r.status === 'fulfilled')
      expect(decode((await driver.get(key)).body)).toBe(`writer-${winner}`)
    })

    it('compare-and-swap succeeds on the current etag and fails on a stale one', async () => {
      const key = `${prefix()}/cas`
      const v1 = await driver.put(key, text('v1'))
      const v2 = await driver.put(key, text('v2'), { ifMatch: v1.etag })
      await expect(driver.put(key, text('v3'), { ifMatch: v1.etag })).rejects.toSatisfy((e: unknown) =>
        isDriverError(e, 'precondition-failed'),
      )
      expect(decode((await driver.get(key)).body)).toBe('v2')
      await driver.put(key, text('v4'), { ifMatch: v2.etag })
      expect(decode((await driver.get(key)).body)).toBe('v4')
    })

    it('compare-and-swap on a missing key fails', async () => {
      await expect(driver.put(`${prefix()}/nokey`, text('x'), { ifMatch: '"nope"' })).rejects.toSatisfy(
        (e: unknown) => isDriverError(e, 'precondition-failed'),
      )
    })

    it('lets exactly one of concurrent compare-and-swaps from the same etag win', async () => {
      const key = `${prefix()}/cas-race`
      const base = await driver.put(key, text('base'))
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => driver.put(key, text(`cas-${i}`), { ifMatch: base.etag })),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    })

    it('streams whole objects and byte ranges', async () => {
      const key = `${prefix()}/range.bin`
      const data = randomBytes(300_000)
      await driver.put(key, data)
      expect((await readAll(await driver.read(key))).equals(data)).toBe(true)
      expect((await readAll(await driver.read(key, { offset: 1000, length: 5000 }))).equals(data.subarray(1000, 6000))).toBe(true)
      expect((await readAll(await driver.read(key, { offset: 299_999, length: 1 }))).equals(data.subarray(299_999))).toBe(true)
      expect((await readAll(await driver.read(key, { offset: 123 }))).equals(data.subarray(123))).toBe(true)
    })

    it('stops reading when the stream is cancelled', async () => {
      const key = `${prefix()}/cancel.bin`
      await driver.put(key, randomBytes(2_000_000))
      const stream = await driver.read(key)
      const reader = stream.getReader()
      const first = await reader.read()
      expect(first.done).toBe(false)
      await reader.cancel()
    })

    it('lists keys under a prefix in lexical order, paged with a cursor', async () => {
      const p = prefix()
      const names = ['b', 'a', 'a-b', 'a/b', 'a/c/d', 'c.d', 'B', '0', 'zz']
      await Promise.all(names.map((n) => driver.put(`${p}/list/${n}`, text(n))))
      await driver.put(`${p}/listx`, text('outside'))
      const expected = names.map((n) => `${p}/list/${n}`).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
      const all = await driver.list(`${p}/list/`)
      expect(all.keys).toEqual(expected)
      expect(all.truncated).toBe(false)
      const seen: string[] = []
      let startAfter: string | undefined
      for (;;) {
        const page = await driver.list(`${p}/list/`, { limit: 2, ...(startAfter ? { startAfter } : {}) })
        expect(page.keys.length).toBeLessThanOrEqual(2)
        seen.push(...page.keys)
        if (!page.truncated) break
        startAfter = page.keys[page.keys.length - 1]
      }
      expect(seen).toEqual(expected)
      const after = await driver.list(`${p}/list/`, { startAfter: `${p}/list/a/b` })
      expect(after.keys).toEqual(expected.filter((k) => k > `${p}/list/a/b`))
      expect((await driver.list(`${p}/nothing/`)).keys).toEqual([])
    })

    it('deletes single keys and whole prefixes, idempotently', async () => {
      const p = prefix()
      await driver.put(`${p}/d/1`, text('1'))
      await driver.put(`${p}/d/2/3`, text('3'))
      await driver.put(`${p}/keep`, text('k'))
      await driver.delete(`${p}/d/1`)
      await driver.delete(`${p}/d/1`)
      expect(await driver.stat(`${p}/d/1`)).toBeUndefined()
      await driver.deletePrefix(`${p}/d/`)
      expect((await driver.list(`${p}/d/`)).keys).toEqual([])
      expect(await driver.stat(`${p}/keep`)).toBeDefined()
    })

    it('makes a resumable write visible only when finished', async () => {
      const key = `${prefix()}/upload/data`
      let state = await driver.startWrite(key)
      expect(state.size).toBe(0)
      state = await driver.appendWrite(roundTrip(state), chunks(text('hello '), 3))
      expect(state.size).toBe(6)
      expect(await driver.stat(key)).toBeUndefined()
      state = await driver.appendWrite(roundTrip(state), chunks(text('world'), 5))
      expect(state.size).toBe(11)
      await driver.finishWrite(roundTrip(state))
      expect(decode((await driver.get(key)).body)).toBe('hello world')
    })

    it('finishes an empty resumable write as an empty object', async () => {
      const key = `${prefix()}/upload/empty`
      const state = await driver.startWrite(key)
      await driver.finishWrite(roundTrip(state))
      expect((await driver.stat(key))?.size).toBe(0)
    })

    it('writes large data in chunks of any size, continued from serialized state', async () => {
      const key = `${prefix()}/upload/large`
      const data = randomBytes(largeSize)
      // Uneven chunk sizes: tiny appends, appends below any minimum part size, and big ones.
      const cuts = [1, 1000, 3 * 1024 * 1024 + 7, 1, Math.floor(largeSize / 2)]
      let state = await driver.startWrite(key)
      let at = 0
      for (const cut of cuts) {
        const end = Math.min(at + cut, data.length)
        state = await driver.appendWrite(roundTrip(state), chunks(data.subarray(at, end), 64 * 1024))
        at = end
      }
      state = await driver.appendWrite(roundTrip(state), chunks(data.subarray(at), 1024 * 1024))
      expect(state.size).toBe(largeSize)
      await driver.finishWrite(roundTrip(state))
      const back = await readAll(await driver.read(key))
      expect(back.length).toBe(largeSize)
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
      const slice = await readAll(await driver.read(key, { offset: largeSize - 10, length: 10 }))
      expect(slice.equals(data.subarray(largeSize - 10))).toBe(true)
    })

    it('replays an append from an older state without keeping the abandoned bytes', async () => {
      const key = `${prefix()}/upload/replay`
      let state = await driver.startWrite(key)
      state = await driver.appendWrite(state, chunks(text('abc'), 3))
      const acknowledged = roundTrip(state)
      // A process appends and dies before recording the new state: its bytes must not survive.
      await driver.appendWrite(roundTrip(acknowledged), chunks(text('LOST-BYTES'), 4))
      state = await driver.appendWrite(roundTrip(acknowledged), chunks(text('def'), 3))
      await driver.finishWrite(state)
      expect(decode((await driver.get(key)).body)).toBe('abcdef')
    })

    it('aborts a resumable write, leaving nothing behind', async () => {
      const p = prefix()
      const key = `${p}/upload/aborted`
      let state = await driver.startWrite(key)
      state = await driver.appendWrite(state, chunks(randomBytes(1000), 100))
      await driver.abortWrite(roundTrip(state))
      await driver.abortWrite(roundTrip(state))
      expect(await driver.stat(key)).toBeUndefined()
      expect((await driver.list(`${p}/`)).keys).toEqual([])
    })

    it('fails an append whose source stream fails, keeping the old state usable', async () => {
      const key = `${prefix()}/upload/failing`
      let state = await driver.startWrite(key)
      state = await driver.appendWrite(state, chunks(text('ok:'), 3))
      async function* broken(): AsyncIterable<Uint8Array> {
        yield text('partial')
        throw new Error('client went away')
      }
      await expect(driver.appendWrite(roundTrip(state), broken())).rejects.toThrow()
      state = await driver.appendWrite(roundTrip(state), chunks(text('done'), 4))
      await driver.finishWrite(state)
      expect(decode((await driver.get(key)).body)).toBe('ok:done')
    })

    it('presigns downloads when it declares redirect support', async (ctx) => {
      if (!driver.capabilities.redirect || !driver.presignGet) return ctx.skip()
      const key = `${prefix()}/presigned`
      await driver.put(key, text('signed'))
      const url = await driver.presignGet(key, 60)
      const res = await fetch(url)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('signed')
    })
  })
}
