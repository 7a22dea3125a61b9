import { randomBytes } from 'node:crypto'
import { toChunkPump } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { READ_CHUNK } from '../src/file-stream.js'
import { openDescriptors, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()


describe('the chunk pump of a read stream', () => {
  it('delivers the requested range through reused buffers, one chunk at a time, and closes the file', async () => {
    const driver = store.driver()
    const bytes = randomBytes(5 * READ_CHUNK + 123)
    await driver.put('pump/range', bytes)
    const pump = toChunkPump(await driver.read('pump/range', { offset: 7, length: bytes.length - 20 }))
    expect(pump).toBeDefined()
    const parts: Buffer[] = []
    const buffers = new Set<ArrayBufferLike>()
    let writing = 0
    await pump!(async (chunk) => {
      writing++
      expect(writing).toBe(1)
      buffers.add(chunk.buffer)
      // A copy: the pump refills the buffer once this promise resolves.
      parts.push(Buffer.from(chunk))
      await new Promise((r) => setTimeout(r, 1))
      writing--
    })
    expect(Buffer.concat(parts).equals(bytes.subarray(7, bytes.length - 13))).toBe(true)
    expect(buffers.size).toBe(2)
    expect(await openDescriptors('/pump/range,')).toBe(0)
  })

  it('stops with the write error and closes the file when the writer fails', async () => {
    const driver = store.driver()
    await driver.put('pump/fail', randomBytes(8 * READ_CHUNK))
    const pump = toChunkPump(await driver.read('pump/fail'))!
    let calls = 0
    await expect(
      pump(async () => {
        if (++calls === 2) throw new Error('client gone')
      }),
    ).rejects.toThrow('client gone')
    expect(calls).toBe(2)
    expect(await openDescriptors('/pump/fail,')).toBe(0)
  })

  it('refuses to run on a stream that was already read, and the stream alone still works', async () => {
    const driver = store.driver()
    const bytes = randomBytes(2 * READ_CHUNK)
    await driver.put('pump/read', bytes)
    const stream = await driver.read('pump/read')
    const reader = stream.getReader()
    const first = await reader.read()
    expect(first.value?.length).toBe(READ_CHUNK)
    await expect(toChunkPump(stream)!(async () => undefined)).rejects.toThrow('already read')
    await reader.cancel()
    expect(await openDescriptors('/pump/read,')).toBe(0)
  })
})
