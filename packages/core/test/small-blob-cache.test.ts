import { randomBytes } from 'node:crypto'
import { createMemoryDriver, type Registry } from '@wharf/core'
import { afterEach, describe, expect, it } from 'vitest'
import { call, countingDriver, registryOn, sha256 } from './helpers.js'

let registry: Registry
afterEach(async () => registry?.close())

async function push(repository: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes)
  const res = await call(registry, `/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes })
  expect(res.status).toBe(201)
  return digest
}

describe('small blobs served from memory', () => {
  it('answers repeated GETs of a small blob with its bytes, reading storage once', async () => {
    const driver = countingDriver(createMemoryDriver())
    registry = registryOn(driver)
    const bytes = randomBytes(4096)
    const digest = await push('app', bytes)
    const gets = driver.calls['get'] ?? 0
    for (let i = 0; i < 3; i++) {
      const res = await call(registry, `/v2/app/blobs/${digest}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-length')).toBe('4096')
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true)
    }
    expect((driver.calls['get'] ?? 0) - gets).toBeLessThanOrEqual(2)
    expect(driver.reads).toEqual([])
  })

  it('still decides per repository and per request: a deleted link is 404 and another repository sees nothing', async () => {
    registry = registryOn(createMemoryDriver(), { deleteEnabled: true })
    const bytes = randomBytes(100)
    const digest = await push('a', bytes)
    expect((await call(registry, `/v2/a/blobs/${digest}`)).status).toBe(200)
    expect((await call(registry, `/v2/b/blobs/${digest}`)).status).toBe(404)
    expect((await call(registry, `/v2/a/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202)
    expect((await call(registry, `/v2/a/blobs/${digest}`)).status).toBe(404)
  })

  it('serves ranges and large blobs from storage as before', async () => {
    registry = registryOn(createMemoryDriver())
    const bytes = randomBytes(200 * 1024)
    const digest = await push('big', bytes)
    const whole = await call(registry, `/v2/big/blobs/${digest}`)
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true)
    const small = randomBytes(1000)
    const smallDigest = await push('big', small)
    const range = await call(registry, `/v2/big/blobs/${smallDigest}`, { headers: { Range: 'bytes=10-19' } })
    expect(range.status).toBe(206)
    expect(Buffer.from(await range.arrayBuffer()).equals(small.subarray(10, 20))).toBe(true)
  })
})
