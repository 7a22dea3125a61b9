import { randomBytes } from 'node:crypto'
import { createMemoryDriver } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { call, countingDriver, registryOn, sha256 } from './helpers.js'


/** Two registry instances on one driver behave like two processes sharing storage (no shared memory). */
describe('upload sessions shared by several registry instances', () => {
  it('completes a chunked upload whose chunks alternate between instances', async () => {
    const storage = createMemoryDriver()
    const [a, b] = [registryOn(storage), registryOn(storage)]
    const bytes = randomBytes(50_000)
    const post = await call(a, '/v2/x/blobs/uploads/', { method: 'POST' })
    const path = post.headers.get('location')!
    for (let at = 0, i = 0; at < bytes.length; at += 10_000, i++) {
      const res = await call(i % 2 ? a : b, path, {
        method: 'PATCH',
        headers: { 'Content-Range': `${at}-${at + 9_999}`, 'Content-Length': '10000' },
        body: bytes.subarray(at, at + 10_000),
      })
      expect(res.status).toBe(202)
    }
    const put = await call(a, `${path}?digest=${sha256(bytes)}`, { method: 'PUT' })
    expect(put.status).toBe(201)
    const get = await call(b, `/v2/x/blobs/${sha256(bytes)}`)
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true)
  })

  it('never re-reads the bytes in the docker flow (POST on A, streamed PATCH on B, PUT on A)', async () => {
    const storage = countingDriver(createMemoryDriver())
    const [a, b] = [registryOn(storage), registryOn(storage)]
    const bytes = randomBytes(100_000)
    const path = (await call(a, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    expect((await call(b, path, { method: 'PATCH', body: bytes })).status).toBe(202)
    expect((await call(a, `${path}?digest=${sha256(bytes)}`, { method: 'PUT' })).status).toBe(201)
    expect(storage.reads).toEqual([])
  })

  it('reads the bytes once to verify when no instance saw them all', async () => {
    const storage = countingDriver(createMemoryDriver())
    const [a, b] = [registryOn(storage), registryOn(storage)]
    const bytes = randomBytes(20_000)
    const path = (await call(a, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    await call(a, path, { method: 'PATCH', headers: { 'Content-Range': '0-9999' }, body: bytes.subarray(0, 10_000) })
    await call(b, path, { method: 'PATCH', headers: { 'Content-Range': '10000-19999' }, body: bytes.subarray(10_000) })
    const bad = await call(a, `${path}?digest=${sha256('wrong')}`, { method: 'PUT' })
    expect(bad.status).toBe(400)
    expect(storage.reads.filter((k) => k.startsWith('data/'))).toHaveLength(1)
    expect((await call(a, `/v2/x/blobs/${sha256(bytes)}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('lets only one of two concurrent PATCHes write to a session (the other gets 416)', async () => {
    const storage = createMemoryDriver()
    const [a, b] = [registryOn(storage), registryOn(storage)]
    const path = (await call(a, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let reading!: () => void
    const firstRead = new Promise<void>((r) => (reading = r))
    let pulls = 0
    // The body gives its 100 bytes when the registry first reads it, then holds the request open
    // (the registry reading the body means it took the session for writing).
    const slowBody = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (pulls++ === 0) {
          controller.enqueue(new Uint8Array(100))
          reading()
          return
        }
        await gate
        controller.close()
      },
    })
    const first = call(a, path, { method: 'PATCH', body: slowBody, duplex: 'half' } as RequestInit)
    await firstRead
    const second = await call(b, path, { method: 'PATCH', body: new Uint8Array(50) })
    expect(second.status).toBe(416)
    release()
    expect((await first).status).toBe(202)
    expect((await call(b, path)).headers.get('range')).toBe('0-99')
  })

  it('purges idle sessions but not fresh ones, and a purged session is unknown', async () => {
    const storage = createMemoryDriver()
    const registry = registryOn(storage)
    const old = (await call(registry, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    // Margins of a second either way, so a loaded machine cannot age the fresh session past the limit.
    await new Promise((r) => setTimeout(r, 1100))
    const fresh = (await call(registry, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    expect(await registry.purgeUploads({ olderThanMs: 1000, dryRun: true })).toEqual([old.split('/').pop()])
    expect((await call(registry, old)).status).toBe(204)
    expect(await registry.purgeUploads({ olderThanMs: 1000 })).toEqual([old.split('/').pop()])
    expect((await call(registry, old)).status).toBe(404)
    expect((await call(registry, fresh)).status).toBe(204)
  })
})
