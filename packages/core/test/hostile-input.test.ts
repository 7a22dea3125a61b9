/**
 * Hostile input in process, through `registry.handle` with the raw URL an adapter passes (a Web
 * `Request` would normalise the path before the registry sees it). The real-port versions of these
 * tests, on the fs driver, are in packages/http-adapter/test/hostile-requests.test.ts.
 */
import { createHash } from 'node:crypto'
import { createMemoryDriver, createRegistry, isRepositoryName, toChunkRange, type Registry, type RegistryResponse } from '@wharf/core'
import { afterEach, describe, expect, it } from 'vitest'
import { call } from './helpers.js'

const sha256 = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

function handleRaw(registry: Registry, method: string, target: string, headers: Record<string, string> = {}): Promise<RegistryResponse> {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return registry.handle({
    method,
    url: `http://registry.test${target}`,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null, has: (name) => name.toLowerCase() in lower },
  })
}

const codeOf = (response: RegistryResponse) =>
  (JSON.parse(new TextDecoder().decode(response.body as Uint8Array)) as { errors: Array<{ code: string; detail?: { reason?: string } }> }).errors[0]!

let registry: Registry
afterEach(async () => registry?.close())

describe('repository name limits', () => {
  it('accepts components of up to 240 characters and refuses longer ones, whatever the driver', async () => {
    expect(isRepositoryName(`x/${'a'.repeat(240)}`)).toBe(true)
    expect(isRepositoryName(`x/${'a'.repeat(241)}`)).toBe(false)
    registry = createRegistry({ storage: createMemoryDriver() })
    const res = await handleRaw(registry, 'POST', `/v2/x/${'a'.repeat(241)}/blobs/uploads/`)
    expect(res.status).toBe(400)
    expect(codeOf(res).code).toBe('NAME_INVALID')
    expect(codeOf(res).detail?.reason).toBe('a path component is longer than 240 characters')
  })
})

describe('the route comes from the path as sent', () => {
  it.each([
    ['a backslash', '/v2/a\\b/blobs/uploads/'],
    ['a dot-dot segment', '/v2/z/../a/b/blobs/uploads/'],
    ['an encoded dot-dot segment', '/v2/z/%2e%2e/a/b/blobs/uploads/'],
    ['a dot segment', '/v2/a/./b/blobs/uploads/'],
    ['an encoded slash', '/v2/a%2Fb/blobs/uploads/'],
  ])('refuses %s in a name as NAME_INVALID and creates nothing', async (_what, target) => {
    registry = createRegistry({ storage: createMemoryDriver() })
    const res = await handleRaw(registry, 'POST', target)
    expect(res.status).toBe(400)
    expect(codeOf(res).code).toBe('NAME_INVALID')
    const catalog = (await (await call(registry, '/v2/_catalog')).json()) as { repositories: string[] }
    expect(catalog.repositories).toEqual([])
  })
})

describe('upload Content-Range', () => {
  it('parses the stated total and refuses nothing it cannot represent', () => {
    expect(toChunkRange('bytes 10-19/5')).toEqual({ start: 10, end: 19, total: 5 })
    expect(toChunkRange('0-9/*')).toEqual({ start: 0, end: 9 })
    expect(toChunkRange('bytes=0-9')).toBeUndefined()
    expect(toChunkRange('0-9/9007199254740993')).toBeUndefined()
  })

  it('answers a chunk that ends past its stated total with 416 BLOB_UPLOAD_INVALID', async () => {
    registry = createRegistry({ storage: createMemoryDriver() })
    const started = await call(registry, '/v2/a/b/blobs/uploads/', { method: 'POST' })
    const res = await call(registry, started.headers.get('location')!, {
      method: 'PATCH',
      headers: { 'Content-Range': 'bytes 10-19/5', 'Content-Type': 'application/octet-stream' },
      body: '0123456789',
    })
    expect(res.status).toBe(416)
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('BLOB_UPLOAD_INVALID')
  })
})

describe('Docker-Content-Digest', () => {
  it('is on a blob GET answered with a redirect to the storage', async () => {
    const memory = createMemoryDriver()
    const storage = { ...memory, capabilities: { ...memory.capabilities, redirect: true }, presignGet: async (key: string) => `https://storage.test/${key}` }
    registry = createRegistry({ storage, redirect: true })
    const digest = sha256('redirected')
    expect((await call(registry, `/v2/a/b/blobs/uploads/?digest=${digest}`, { method: 'POST', body: 'redirected' })).status).toBe(201)
    const res = await call(registry, `/v2/a/b/blobs/${digest}`, { redirect: 'manual' })
    expect(res.status).toBe(307)
    expect(res.headers.get('docker-content-digest')).toBe(digest)
  })
})
