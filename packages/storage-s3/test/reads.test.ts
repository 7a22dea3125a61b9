import { randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isDriverError, type StorageDriver } from '@wharf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Driver } from '../src/index.js'
import { readAll, testDriverOptions, uniquePrefix } from './support/s3-server.js'

const MiB = 1024 * 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('s3 reads', () => {
  let driver: StorageDriver
  let key: string
  const data = randomBytes(32 * MiB)

  beforeAll(async () => {
    driver = createS3Driver(testDriverOptions({ redirect: true }))
    key = `${uniquePrefix('reads')}/blob`
    await driver.put(key, data)
  })
  afterAll(async () => {
    await driver.delete(key)
    await driver.close?.()
  })

  it('fetches only as fast as the consumer reads', async () => {
    setFlagsFromString('--expose-gc')
    ;(runInNewContext('gc') as () => void)()
    const before = process.memoryUsage().arrayBuffers
    const reader = (await driver.read(key)).getReader()
    expect((await reader.read()).done).toBe(false)
    await sleep(500)
    // A consumer that stalls leaves the rest of the 32 MiB on the server (and in socket buffers).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * MiB)
    await reader.cancel()
  })

  it('reads the rest of a paused stream correctly when the consumer resumes', async () => {
    const reader = (await driver.read(key, { offset: 5, length: 20 * MiB })).getReader()
    const parts: Uint8Array[] = []
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      parts.push(next.value)
      if (parts.length === 3) await sleep(200)
    }
    expect(Buffer.concat(parts).equals(data.subarray(5, 5 + 20 * MiB))).toBe(true)
  })

  it('stops the transfer and frees its connection when the consumer cancels', async () => {
    // More cancelled downloads than the agent has sockets: each must hand its socket back.
    for (let i = 0; i < 3; i++) {
      const streams = await Promise.all(Array.from({ length: 50 }, () => driver.read(key)))
      await Promise.all(streams.map((s) => s.cancel()))
    }
    expect((await readAll(await driver.read(key, { offset: 100, length: 10 }))).equals(data.subarray(100, 110))).toBe(true)
  })

  it('serves 100 concurrent downloads without one waiting for another', async () => {
    const streams = await Promise.all(Array.from({ length: 100 }, (_, i) => driver.read(key, { offset: i * 1000, length: 1000 })))
    const bodies = await Promise.all(streams.map((s) => readAll(s)))
    bodies.forEach((body, i) => expect(body.equals(data.subarray(i * 1000, i * 1000 + 1000))).toBe(true))
  })

  it('errors the stream with a driver error when the caller aborts mid-transfer', async () => {
    const controller = new AbortController()
    const reader = (await driver.read(key, { signal: controller.signal })).getReader()
    await reader.read()
    controller.abort()
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return
      })(),
    ).rejects.toSatisfy((e: unknown) => isDriverError(e, 'unavailable'))
  })

  it('answers empty ranges and ranges starting at the end with an empty stream', async () => {
    expect(await readAll(await driver.read(key, { offset: 10, length: 0 }))).toHaveLength(0)
    expect(await readAll(await driver.read(key, { offset: data.length }))).toHaveLength(0)
    await expect(driver.read(`${key}-missing`, { offset: 3, length: 0 })).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))
  })

  it('presigns a GET that downloads without credentials, ranges included', async () => {
    const url = await driver.presignGet!(key, 60)
    const whole = await fetch(url)
    expect(whole.status).toBe(200)
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true)
    const ranged = await fetch(url, { headers: { range: 'bytes=10-19' } })
    expect(ranged.status).toBe(206)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true)
  })

  it('presigned URLs stop working once expired', async () => {
    const url = await driver.presignGet!(key, 1)
    await sleep(2100)
    expect((await fetch(url)).status).toBe(403)
  })

  it('offers no presigned URLs unless redirect is enabled', async () => {
    const plain = createS3Driver(testDriverOptions())
    expect(plain.capabilities.redirect).toBe(false)
    expect(plain.presignGet).toBeUndefined()
    await plain.close?.()
  })
})
