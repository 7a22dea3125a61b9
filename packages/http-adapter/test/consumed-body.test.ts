import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { suiteHelpers } from '@wharf/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSUMED_BODY_MESSAGE } from '../src/consumed-body.js'
import { FRAMEWORK_ADAPTERS, type AdapterServer } from './adapter-servers.js'

// Only the Express and Koa adapters can be mounted after a body parser; Fastify's plugin owns its
// parsers and Hono's bodies are Web streams the app would have to clone.
const MOUNTABLE_AFTER_PARSERS = FRAMEWORK_ADAPTERS.filter((a) => /express|koa/.test(a.name))

for (const adapter of MOUNTABLE_AFTER_PARSERS) {
  describe(`${adapter.name} mounted after a body parser`, () => {
    let registry: Registry
    let server: AdapterServer
    beforeAll(async () => {
      registry = createRegistry({ storage: createMemoryDriver() })
      server = await adapter.start(registry, { beforeRegistry: 'body-parser' })
    })
    afterAll(async () => {
      await server?.close()
      await registry?.close()
    })

    it('fails a monolithic upload with 500 and a message naming the cause, storing nothing', async () => {
      const { bytes, digest } = suiteHelpers.makeBlob(4096)
      const res = await fetch(`${server.url}/v2/parsed/repo/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
        signal: AbortSignal.timeout(5000),
      })
      expect(res.status).toBe(500)
      const body = (await res.json()) as { errors: Array<{ code: string; message: string }> }
      expect(body.errors[0]).toEqual({ code: 'UNKNOWN', message: CONSUMED_BODY_MESSAGE })
      expect(body.errors[0]!.message).toMatch(/before body parsers/)
      expect((await fetch(`${server.url}/v2/parsed/repo/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404)
    })

    it('fails a streamed PATCH clearly instead of recording an empty chunk', async () => {
      const start = await fetch(`${server.url}/v2/parsed/repo/blobs/uploads/`, { method: 'POST' })
      expect(start.status).toBe(202)
      const location = new URL(start.headers.get('location')!, server.url)
      const patch = await fetch(location, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: Buffer.alloc(2048, 7),
        signal: AbortSignal.timeout(5000),
      })
      expect(patch.status).toBe(500)
      expect(await patch.text()).toContain(CONSUMED_BODY_MESSAGE)
      // The session received none of the consumed bytes: it completes as the empty blob.
      const empty = suiteHelpers.sha256(new Uint8Array(0))
      const put = await fetch(`${location.href}${location.search ? '&' : '?'}digest=${empty}`, { method: 'PUT' })
      expect(put.status).toBe(201)
    })

    it('still serves reads, which carry no body', async () => {
      expect((await fetch(`${server.url}/v2/`)).status).toBe(200)
      expect((await fetch(`${server.url}/v2/parsed/never-pushed/tags/list`)).status).toBe(404)
    })
  })
}
