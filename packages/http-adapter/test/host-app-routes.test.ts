import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { suiteHelpers } from '@wharf/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORK_ADAPTERS, OWN_ROUTE_TEXT, type AdapterServer } from './adapter-servers.js'

const API_VERSION = 'docker-distribution-api-version'

for (const adapter of FRAMEWORK_ADAPTERS) {
  describe(`${adapter.name}: next to the host app's routes`, () => {
    let registry: Registry
    let server: AdapterServer
    beforeAll(async () => {
      registry = createRegistry({ storage: createMemoryDriver() })
      server = await adapter.start(registry)
    })
    afterAll(async () => {
      await server?.close()
      await registry?.close()
    })

    it("passes requests outside /v2 on to the app's own routes", async () => {
      const res = await fetch(`${server.url}/own`)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(OWN_ROUTE_TEXT)
      expect(res.headers.has(API_VERSION)).toBe(false)
    })

    it("leaves request bodies of the app's routes to the app's body parser, mounted after the registry", async () => {
      const res = await fetch(`${server.url}/own/json`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hello: 'world' }),
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ got: { hello: 'world' } })
    })

    it('does not claim paths that merely start with "v2"', async () => {
      const res = await fetch(`${server.url}/v2x/anything`)
      expect(res.status).toBe(404)
      expect(res.headers.has(API_VERSION)).toBe(false)
    })

    it('answers /v2 and /v2/ itself', async () => {
      for (const path of ['/v2/', '/v2']) {
        const res = await fetch(`${server.url}${path}`)
        expect(res.status).toBe(200)
        expect(res.headers.get(API_VERSION)).toBe('registry/2.0')
      }
    })

    it('serves repositories with long, deeply nested names', async () => {
      const repo = Array.from({ length: 12 }, (_, i) => `segment-${i}-${'x'.repeat(8)}`).join('/')
      expect(repo.length).toBeGreaterThan(200)
      const client = { fetch: (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init), close: async () => {} }
      const digest = await suiteHelpers.pushBlob(client, repo, Buffer.from('nested'))
      const res = await fetch(`${server.url}/v2/${repo}/blobs/${digest}`)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('nested')
    })
  })
}
