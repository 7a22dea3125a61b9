/**
 * The route comes from the request target alone (issue 10): a Host header carrying a path cannot
 * re-route a request on any adapter, a malformed Host is answered 400 with an error body, an
 * absolute-form target is served from its own path, and other target forms are refused with 400,
 * never 500. Raw sockets, since fetch and node:http would not send these requests as written.
 */
import { createHash } from 'node:crypto'
import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ADAPTERS, type AdapterServer } from './adapter-servers.js'
import { send, sendRaw, type RawResponse } from '../../../test-support/http-clients.js'

const SECRET = Buffer.from('victim/app layer bytes')
const DIGEST = `sha256:${createHash('sha256').update(SECRET).digest('hex')}`

const errorOf = (res: RawResponse) => (JSON.parse(res.body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]

/** A request as bytes on the wire: request line, headers, no body. */
const rawRequest = (line: string, headers: Record<string, string>) =>
  `${line}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}Connection: close\r\n\r\n`

for (const adapter of ALL_ADAPTERS) {
  describe(`${adapter.name}: the route comes from the request target, not the Host header`, () => {
    let registry: Registry
    let server: AdapterServer
    beforeAll(async () => {
      registry = createRegistry({ storage: createMemoryDriver() })
      server = await adapter.start(registry)
      const pushed = await send(`${server.url}/v2/victim/app/blobs/uploads/?digest=${DIGEST}`, 'POST', { 'Content-Type': 'application/octet-stream' }, SECRET)
      expect(pushed.status).toBe(201)
    })
    afterAll(async () => {
      await server?.close()
      await registry?.close()
    })

    it("does not serve another repository's blob when the Host header carries its path", async () => {
      const res = await sendRaw(server.url, rawRequest(`GET /v2/other/x/blobs/${DIGEST} HTTP/1.1`, { Host: `${server.address}/v2/victim/app/blobs/${DIGEST}?` }))
      expect(res.status).toBe(400)
      expect(res.body.includes(SECRET)).toBe(false)
      if (!adapter.hostServerBuildsUrl) expect(errorOf(res)).toMatchObject({ code: 'UNSUPPORTED', message: 'malformed Host header' })
    })

    it("does not delete another repository's blob when the Host header carries its path", async () => {
      const res = await sendRaw(server.url, rawRequest(`DELETE /v2/other/x/blobs/${DIGEST} HTTP/1.1`, { Host: `${server.address}/v2/victim/app/blobs/${DIGEST}?` }))
      expect(res.status).toBe(400)
      expect((await send(`${server.url}/v2/victim/app/blobs/${DIGEST}`, 'GET')).body.equals(SECRET)).toBe(true)
    })

    // A fetch handler gets the URL its host server built; refusing a malformed Host is that server's part.
    // Sent twice: a refusal does not depend on what the connection or the process saw before.
    it.skipIf(adapter.hostServerBuildsUrl).each([
      ['a space', 'a b'],
      ['two colons', 'h:1:2'],
      ['a path', 'h/x'],
      ['userinfo', 'u@h'],
      ['nothing', ''],
      ['a port beyond 65535', 'localhost:65536'],
      ['a malformed IPv6 literal', '[::g]'],
    ])('answers a Host header with %s 400 with a registry error body', async (_what, host) => {
      for (let i = 0; i < 2; i++) {
        const res = await sendRaw(server.url, rawRequest('GET /v2/ HTTP/1.1', { Host: host }))
        expect(res.status).toBe(400)
        expect(errorOf(res)?.code).toBe('UNSUPPORTED')
      }
    })

    it('serves an absolute-form target from its own path, whatever the Host header says', async () => {
      const res = await sendRaw(server.url, rawRequest(`GET http://${server.address}/v2/victim/app/blobs/${DIGEST} HTTP/1.1`, { Host: 'elsewhere.example/v2/other/x' }))
      expect(res.status).toBe(200)
      expect(res.body.equals(SECRET)).toBe(true)
    })

    it('answers an absolute-form target for the API root and keeps its query', async () => {
      expect((await sendRaw(server.url, rawRequest(`GET http://${server.address}/v2/ HTTP/1.1`, { Host: server.address }))).status).toBe(200)
      const tags = await sendRaw(server.url, rawRequest(`GET http://${server.address}/v2/_catalog?n=1 HTTP/1.1`, { Host: server.address }))
      expect(tags.status).toBe(200)
      expect(JSON.parse(tags.body.toString())).toEqual({ repositories: ['victim/app'] })
    })
  })
}

describe('startRegistry: request targets that are neither a path nor an http URL', () => {
  let registry: Registry
  let server: RunningRegistry
  beforeAll(async () => {
    registry = createRegistry({ storage: createMemoryDriver() })
    server = await startRegistry(registry)
  })
  afterAll(async () => {
    await server?.close()
    await registry?.close()
  })

  it.each([
    ['asterisk-form', 'OPTIONS * HTTP/1.1'],
    ['authority-form (CONNECT)', `CONNECT ${'127.0.0.1'}:5000 HTTP/1.1`],
    ['authority-form without CONNECT', 'GET 127.0.0.1:5000 HTTP/1.1'],
    ['another scheme', 'GET ftp://127.0.0.1/v2/ HTTP/1.1'],
    ['a relative path', 'GET v2/ HTTP/1.1'],
    ['a dot-dot segment', 'GET /v2/other/../victim/app/manifests/v1 HTTP/1.1'],
    ['an absolute URL with userinfo', 'GET http://u@127.0.0.1/v2/ HTTP/1.1'],
    ['garbage', 'GET \x01\x02 HTTP/1.1'],
  ])('answers %s 400 with a registry error body', async (_what, line) => {
    const res = await sendRaw(server.url, rawRequest(line, { Host: server.address }))
    expect(res.status).toBe(400)
    expect(errorOf(res)?.code).toBe('UNSUPPORTED')
  })

  it('answers a request with two Host headers 400', async () => {
    const res = await sendRaw(server.url, `GET /v2/ HTTP/1.1\r\nHost: ${server.address}\r\nHost: other.example\r\nConnection: close\r\n\r\n`)
    expect(res.status).toBe(400)
    expect(errorOf(res)?.code).toBe('UNSUPPORTED')
  })

  it('serves an HTTP/1.0 request without a Host header', async () => {
    const res = await sendRaw(server.url, 'GET /v2/ HTTP/1.0\r\n\r\n')
    expect(res.status).toBe(200)
  })
})
