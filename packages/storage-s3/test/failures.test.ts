import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { isDriverError, type DriverErrorKind, type StorageDriver } from '@wharf/core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createS3Driver } from '../src/index.js'
import { startRecordingProxy } from './support/recording-proxy.js'
import { chunksOf, testDriverOptions, uniquePrefix } from './support/s3-server.js'

const kind = (expected: DriverErrorKind) => (e: unknown) => isDriverError(e, expected)

/** Every driver operation once, each expected to fail with `expected`, none to crash. */
async function expectEveryOperationToFail(driver: StorageDriver, expected: DriverErrorKind, { stat = true } = {}) {
  const key = `${uniquePrefix('fail')}/k`
  const body = new TextEncoder().encode('x')
  await expect(driver.get(key)).rejects.toSatisfy(kind(expected))
  await expect(driver.put(key, body)).rejects.toSatisfy(kind(expected))
  await expect(driver.put(key, body, { ifNoneMatch: '*' })).rejects.toSatisfy(kind(expected))
  if (stat) await expect(driver.stat(key)).rejects.toSatisfy(kind(expected))
  await expect(driver.read(key)).rejects.toSatisfy(kind(expected))
  await expect(driver.list(`${key}/`)).rejects.toSatisfy(kind(expected))
  await expect(driver.delete(key)).rejects.toSatisfy(kind(expected))
  await expect(driver.deletePrefix(`${key}/`)).rejects.toSatisfy(kind(expected))
  await expect(driver.startWrite(key)).rejects.toSatisfy(kind(expected))
}

describe('s3 driver failures', () => {
  it('reports wrong credentials as unavailable on every operation, without crashing', async () => {
    const driver = createS3Driver(testDriverOptions({ credentials: { accessKeyId: inject('s3').accessKeyId, secretAccessKey: 'wrong' } }))
    await expectEveryOperationToFail(driver, 'unavailable')
    await driver.close?.()
  })

  it('reports a missing bucket as unavailable, not as a missing key', async () => {
    const driver = createS3Driver(testDriverOptions({ bucket: 'no-such-bucket-here' }))
    // Except stat: S3 answers a HEAD with a bare 404, the same for a missing bucket as for a missing key.
    await expectEveryOperationToFail(driver, 'unavailable', { stat: false })
    expect(await driver.stat('any/key')).toBeUndefined()
    await driver.close?.()
  })

  it('reports an unreachable endpoint as unavailable once its retries are spent', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const driver = createS3Driver(testDriverOptions({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 }))
    await expectEveryOperationToFail(driver, 'unavailable')
    await driver.close?.()
  })

  describe('with a server that accepts connections and never answers', () => {
    let silent: Server
    const sockets: Socket[] = []
    beforeAll(async () => {
      silent = createServer((socket) => void sockets.push(socket))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    })

    it('gives up after requestTimeoutMs of silence instead of hanging', async () => {
      const { port } = silent.address() as AddressInfo
      const driver = createS3Driver(testDriverOptions({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1, requestTimeoutMs: 300 }))
      // The silent server never answers: without the timeout this would wait for the test's own.
      await expect(driver.get('any/key')).rejects.toSatisfy(kind('unavailable'))
      await driver.close?.()
    })
  })

  it('retries throttled and failing requests with backoff, then succeeds', async () => {
    const proxy = await startRecordingProxy(inject('s3').endpoint)
    const driver = createS3Driver(testDriverOptions({ endpoint: proxy.endpoint, maxAttempts: 4 }))
    const key = `${uniquePrefix('retry')}/k`
    proxy.failNext(1, 503, 'SlowDown')
    await driver.put(key, new TextEncoder().encode('survived'))
    proxy.failNext(2, 500, 'InternalError')
    expect(new TextDecoder().decode((await driver.get(key)).body)).toBe('survived')
    // A part upload is retried from the driver's buffer.
    let state = await driver.startWrite(`${key}-upload`)
    proxy.failNext(1, 503, 'SlowDown')
    state = await driver.appendWrite(state, chunksOf(new Uint8Array(6 * 1024 * 1024).fill(7), 1024 * 1024))
    await driver.finishWrite(state)
    expect((await driver.stat(`${key}-upload`))?.size).toBe(6 * 1024 * 1024)
    expect(proxy.requests.length).toBeGreaterThanOrEqual(4 + 4)
    await driver.close?.()
    await proxy.close()
  })

  it('fails with unavailable when the server keeps failing past maxAttempts', async () => {
    const proxy = await startRecordingProxy(inject('s3').endpoint)
    const driver = createS3Driver(testDriverOptions({ endpoint: proxy.endpoint, maxAttempts: 2 }))
    proxy.failNext(2, 503, 'SlowDown')
    await expect(driver.get(`${uniquePrefix('exhausted')}/k`)).rejects.toSatisfy(kind('unavailable'))
    expect(proxy.requests).toHaveLength(2)
    await driver.close?.()
    await proxy.close()
  })

  it('reports a request the store refuses as malformed as invalid', async () => {
    const proxy = await startRecordingProxy(inject('s3').endpoint)
    const driver = createS3Driver(testDriverOptions({ endpoint: proxy.endpoint }))
    proxy.failNext(1, 400, 'EntityTooSmall')
    await expect(driver.put(`${uniquePrefix('invalid')}/k`, new Uint8Array(1))).rejects.toSatisfy(kind('invalid'))
    await driver.close?.()
    await proxy.close()
  })

  it('keeps the SDK error as the cause, for logs', async () => {
    const driver = createS3Driver(testDriverOptions())
    const error = await driver.get(`${uniquePrefix('cause')}/missing`).catch((e: unknown) => e)
    expect(isDriverError(error, 'not-found')).toBe(true)
    expect((error as Error).cause).toMatchObject({ name: 'NoSuchKey' })
    await driver.close?.()
  })
})
