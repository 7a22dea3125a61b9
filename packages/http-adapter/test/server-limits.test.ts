/**
 * The limits of the registry's own server (startRegistry): a header block as large as a real bearer
 * token is accepted, a larger one than configured is answered 431 with a body, and a client sending
 * its headers too slowly is answered 408. Raw sockets: no HTTP client sends such requests.
 */
import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRaw, send, sendRaw, type RawResponse } from '../../../test-support/http-clients.js'

const errorOf = (res: RawResponse) => (JSON.parse(res.body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]

describe('startRegistry: request header limits', () => {
  let registry: Registry
  let server: RunningRegistry
  let slowHeaders: RunningRegistry
  beforeAll(async () => {
    registry = createRegistry({ storage: createMemoryDriver() })
    server = await startRegistry(registry)
    slowHeaders = await startRegistry(registry, { headersTimeoutMs: 200 })
  })
  afterAll(async () => {
    await server?.close()
    await slowHeaders?.close()
    await registry?.close()
  })

  it('accepts a 100 KB bearer token (Node alone closes the connection at 16 KiB)', async () => {
    const res = await send(`${server.url}/v2/`, 'GET', { Authorization: `Bearer ${'a'.repeat(100 * 1024)}` })
    expect(res.status).toBe(200)
  })

  it('answers a header block over the limit 431 with a registry error body', async () => {
    const res = await sendRaw(server.url, `GET /v2/ HTTP/1.1\r\nHost: ${server.address}\r\nAuthorization: Bearer ${'a'.repeat(300 * 1024)}\r\n\r\n`)
    expect(res.status).toBe(431)
    expect(errorOf(res)?.code).toBe('UNSUPPORTED')
  })

  it('honours a configured maxHeaderBytes', async () => {
    const small = await startRegistry(registry, { maxHeaderBytes: 8 * 1024 })
    try {
      const res = await sendRaw(small.url, `GET /v2/ HTTP/1.1\r\nHost: ${small.address}\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`)
      expect(res.status).toBe(431)
    } finally {
      await small.close()
    }
  })

  it('answers 408 to a client that trickles its headers, instead of waiting forever', async () => {
    const connection = await openRaw(slowHeaders.url)
    connection.socket.write(`GET /v2/ HTTP/1.1\r\nHost: ${slowHeaders.address}\r\nX-Slow: `)
    // One byte at a time, for as long as the server lets the connection live.
    const trickle = setInterval(() => connection.socket.writable && connection.socket.write('a'), 50)
    try {
      const res = await connection.response
      expect(res.status).toBe(408)
      expect(errorOf(res)?.code).toBe('UNSUPPORTED')
      await connection.closed
    } finally {
      clearInterval(trickle)
      connection.socket.destroy()
    }
  })
})
