import fc from 'fast-check'
import { createMemoryDriver, DriverError, type StorageDriver } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { call, registryOn } from './helpers.js'

describe('unexpected failures', () => {
  it('answers a broken driver with 503 UNAVAILABLE or 500 UNKNOWN, never the driver message', async () => {
    const inner = createMemoryDriver()
    const secret = 'connect ECONNREFUSED 10.1.2.3:9000 bucket=private-bucket'
    const broken: StorageDriver = {
      ...inner,
      get: async () => {
        throw new DriverError('unavailable', secret)
      },
      stat: async () => {
        throw new TypeError(secret)
      },
      list: async () => {
        throw new DriverError('unavailable', secret)
      },
    }
    const errors: unknown[] = []
    const registry = registryOn(broken, { onError: (e) => errors.push(e) })
    const tags = await call(registry, '/v2/a/tags/list')
    const manifest = await call(registry, '/v2/a/manifests/latest')
    expect(tags.status).toBe(500)
    expect(manifest.status).toBe(503)
    for (const res of [tags, manifest]) expect(await res.text()).not.toContain('10.1.2.3')
    expect(errors.length).toBe(2)
  })
})

describe('any request', () => {
  const fragments = ['v2', 'a', 'b', '_catalog', 'blobs', 'uploads', 'manifests', 'tags', 'list', 'referrers', '..', '.', '', 'latest', `sha256:${'a'.repeat(64)}`, 'sha256:zz', '00000000-0000-4000-8000-000000000000', '%2e', 'A', '-x']
  const request = fc.record({
    path: fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 7 }).map((p) => `/${p.join('/')}`),
    query: fc.constantFrom('', '?n=2', '?n=-1', '?n=abc&last=', '?digest=sha256:x', `?mount=sha256:${'b'.repeat(64)}&from=..`, '?tag=bad%20tag', '?artifactType=x'),
    method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    headers: fc.dictionary(fc.constantFrom('content-range', 'content-length', 'range', 'content-type', 'authorization'), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  })

  it('never gets a 5xx from a healthy registry, whatever its path, method, headers and body', async () => {
    const registry = registryOn(createMemoryDriver())
    await fc.assert(
      fc.asyncProperty(request, async ({ path, query, method, headers, body }) => {
        const safeHeaders = Object.fromEntries(Object.entries(headers).filter(([k, v]) => k !== 'content-length' || /^\d+$/.test(v)).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)))
        const hasBody = body !== undefined && method !== 'GET' && method !== 'HEAD'
        if (hasBody) delete safeHeaders['content-length']
        const res = await call(registry, path + query, { method, headers: safeHeaders, ...(hasBody ? { body } : {}) })
        await res.arrayBuffer()
        expect(res.status, `${method} ${path}${query} ${JSON.stringify(safeHeaders)}`).toBeLessThan(500)
      }),
      { numRuns: 1500 },
    )
  })
})

describe('blob bytes missing from storage', () => {
  it('answers 404 BLOB_UNKNOWN (not 500) when a linked blob has lost its bytes', async () => {
    const storage = createMemoryDriver()
    const registry = registryOn(storage)
    const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update('gone').digest('hex')}`
    expect((await call(registry, `/v2/a/blobs/uploads/?digest=${digest}`, { method: 'POST', body: 'gone' })).status).toBe(201)
    const data = (await storage.list('data/')).keys
    expect(data).toHaveLength(1)
    await storage.delete(data[0]!)
    const res = await call(registry, `/v2/a/blobs/${digest}`)
    expect(res.status).toBe(404)
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('BLOB_UNKNOWN')
  })
})
