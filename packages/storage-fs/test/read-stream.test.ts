import { randomBytes } from 'node:crypto'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileStream, READ_CHUNK } from '../src/file-stream.js'
import { openDescriptors, readAll, text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()


describe('read streams', () => {
  it('reads ahead by at most one chunk while the consumer does not pull', async () => {
    const path = join(store.root(), 'backpressure.bin')
    await writeFile(path, randomBytes(32 * READ_CHUNK))
    const handle = await open(path, 'r')
    let bytesRead = 0
    const counting = new Proxy(handle, {
      get(target, property) {
        if (property === 'read') {
          return async (...args: Parameters<typeof target.read>) => {
            const result = await target.read(...args)
            bytesRead += result.bytesRead
            return result
          }
        }
        const value = Reflect.get(target, property) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const reader = createFileStream(counting, 0, 32 * READ_CHUNK).getReader()
    await reader.read()
    await new Promise((r) => setTimeout(r, 100))
    expect(bytesRead).toBeLessThanOrEqual(2 * READ_CHUNK)
    await reader.cancel()
    expect(handle.fd).toBe(-1)
  })

  it('closes the file when the consumer cancels mid-stream', async () => {
    const driver = store.driver()
    await driver.put('cancel/big', randomBytes(8 * READ_CHUNK))
    const reader = (await driver.read('cancel/big')).getReader()
    expect((await reader.read()).done).toBe(false)
    expect(await openDescriptors('/cancel/big,')).toBe(1)
    await reader.cancel()
    expect(await openDescriptors('/cancel/big,')).toBe(0)
  })

  it('fails the pending read and closes the file when the signal aborts', async () => {
    const driver = store.driver()
    await driver.put('abort/big', randomBytes(8 * READ_CHUNK))
    const controller = new AbortController()
    const reader = (await driver.read('abort/big', { signal: controller.signal })).getReader()
    await reader.read()
    controller.abort(new Error('client went away'))
    await expect(reader.read()).rejects.toThrow('client went away')
    await new Promise((r) => setTimeout(r, 20))
    expect(await openDescriptors('/abort/big,')).toBe(0)
  })

  it('closes the file once the stream is read to the end', async () => {
    const driver = store.driver()
    await driver.put('end/small', text('tiny'))
    expect((await readAll(await driver.read('end/small'))).toString()).toBe('tiny')
    expect(await openDescriptors('/end/small,')).toBe(0)
  })

  it('keeps serving the version it opened when the key is replaced or deleted during a download', async () => {
    const driver = store.driver()
    const first = randomBytes(3 * READ_CHUNK)
    await driver.put('swap/blob', first)
    const reader = (await driver.read('swap/blob', { offset: 5, length: first.length - 10 })).getReader()
    const parts: Uint8Array[] = [(await reader.read()).value!]
    await driver.put('swap/blob', randomBytes(100))
    await driver.delete('swap/blob')
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value)
    expect(Buffer.concat(parts).equals(first.subarray(5, first.length - 5))).toBe(true)
  })
})
