import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORK_ADAPTERS, type AdapterServer } from './adapter-servers.js'

const PROXY_HEADERS = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'registry.example.com' }

for (const adapter of FRAMEWORK_ADAPTERS) {
  describe(`${adapter.name} behind a TLS-terminating reverse proxy`, () => {
    let trusting: Registry
    let plain: Registry
    let trustingServer: AdapterServer
    let plainServer: AdapterServer
    beforeAll(async () => {
      trusting = createRegistry({ storage: createMemoryDriver(), trustForwardedHeaders: true })
      plain = createRegistry({ storage: createMemoryDriver() })
      trustingServer = await adapter.start(trusting)
      plainServer = await adapter.start(plain)
    })
    afterAll(async () => {
      await trustingServer?.close()
      await plainServer?.close()
      await trusting?.close()
      await plain?.close()
    })

    it('builds upload Locations on the forwarded scheme and host when told to trust them', async () => {
      const res = await fetch(`${trustingServer.url}/v2/proxied/repo/blobs/uploads/`, { method: 'POST', headers: PROXY_HEADERS })
      expect(res.status).toBe(202)
      expect(res.headers.get('location')).toMatch(/^https:\/\/registry\.example\.com\/v2\/proxied\/repo\/blobs\/uploads\/[^/]+$/)
    })

    it('ignores forwarded headers by default (relative Location)', async () => {
      const res = await fetch(`${plainServer.url}/v2/proxied/repo/blobs/uploads/`, { method: 'POST', headers: PROXY_HEADERS })
      expect(res.status).toBe(202)
      expect(res.headers.get('location')).toMatch(/^\/v2\/proxied\/repo\/blobs\/uploads\/[^/]+$/)
    })
  })
}

for (const adapter of FRAMEWORK_ADAPTERS) {
  describe(`${adapter.name}: forwarded headers that are not a plain host`, () => {
    let registry: Registry
    let server: AdapterServer
    beforeAll(async () => {
      registry = createRegistry({ storage: createMemoryDriver(), trustForwardedHeaders: true })
      server = await adapter.start(registry)
    })
    afterAll(async () => {
      await server?.close()
      await registry?.close()
    })

    it.each([['a path', 'evil.example/steal?'], ['userinfo', 'user@evil.example'], ['a space', 'evil.example x'], ['two ports', 'evil.example:1:2']])(
      'never puts an X-Forwarded-Host with %s into Location (the path stays relative)',
      async (_what, forwardedHost) => {
        const res = await fetch(`${server.url}/v2/proxied/repo/blobs/uploads/`, { method: 'POST', headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': forwardedHost } })
        expect(res.status).toBe(202)
        expect(res.headers.get('location')).toMatch(/^\/v2\/proxied\/repo\/blobs\/uploads\/[^/]+$/)
      },
    )
  })
}
