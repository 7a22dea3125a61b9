/**
 * The standalone server against hostile or broken clients (issue 10): a Host header cannot choose
 * the route and the access log names the route actually served, an absolute-form target is served,
 * large bearer tokens fit (on http and https) while oversized header blocks get 431 with a body,
 * and headers or upload bodies that stop arriving are answered 408 after the configured time, the
 * upload staying resumable. Waits on events (answer, close), never on durations.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openRaw, send, sendRaw, type RawResponse } from '../../../test-support/http-clients.js'
import { createTestCertificates } from './helpers/certificates.js'
import { httpsRequest } from './helpers/https-request.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'

let server: TestServer | undefined
let dir: { path: string; remove(): Promise<void> }
beforeAll(async () => {
  dir = await createTempDir()
})
afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(() => dir.remove())

const address = (s: TestServer) => new URL(s.url).host
const errorOf = (res: RawResponse) => (JSON.parse(res.body.toString()) as { errors: Array<{ code: string }> }).errors[0]
const requestLines = (s: TestServer) => s.logs.find('request').filter((entry) => entry['msg'] === 'request')

describe('the route comes from the request target', () => {
  it('refuses a Host header carrying a path, and logs the route the client asked for', async () => {
    server = await startFromYaml('storage: { inmemory: }\n')
    const secret = Buffer.from('victim layer')
    const digest = `sha256:${createHash('sha256').update(secret).digest('hex')}`
    expect((await send(`${server.url}/v2/victim/app/blobs/uploads/?digest=${digest}`, 'POST', {}, secret)).status).toBe(201)

    const res = await sendRaw(server.url, `DELETE /v2/public/app/blobs/${digest} HTTP/1.1\r\nHost: ${address(server)}/v2/victim/app/blobs/${digest}?\r\nConnection: close\r\n\r\n`)
    expect(res.status).toBe(400)
    expect(errorOf(res)?.code).toBe('UNSUPPORTED')
    expect((await send(`${server.url}/v2/victim/app/blobs/${digest}`, 'GET')).body.equals(secret)).toBe(true)
    const line = requestLines(server).find((entry) => entry['method'] === 'DELETE')
    expect(line).toMatchObject({ route: 'blob', repository: 'public/app', path: `/v2/public/app/blobs/${digest}`, status: 400 })
  })

  it('serves an absolute-form target and logs its path', async () => {
    server = await startFromYaml('storage: { inmemory: }\n')
    const res = await sendRaw(server.url, `GET ${server.url}/v2/_catalog HTTP/1.1\r\nHost: ${address(server)}\r\nConnection: close\r\n\r\n`)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body.toString())).toEqual({ repositories: [] })
    expect(requestLines(server).at(-1)).toMatchObject({ route: 'catalog', path: '/v2/_catalog', status: 200 })
  })
})

describe('request header limits', () => {
  const token = `Bearer ${'t'.repeat(100 * 1024)}`

  it('accepts a 100 KB bearer token and answers a header block over http.maxheaderbytes 431 with a body', async () => {
    server = await startFromYaml('storage: { inmemory: }\n', { env: { REGISTRY_HTTP_MAXHEADERBYTES: String(128 * 1024) } })
    expect((await send(`${server.url}/v2/`, 'GET', { Authorization: token })).status).toBe(200)
    const res = await sendRaw(server.url, `GET /v2/ HTTP/1.1\r\nHost: ${address(server)}\r\nAuthorization: Bearer ${'t'.repeat(200 * 1024)}\r\n\r\n`)
    expect(res.status).toBe(431)
    expect(errorOf(res)?.code).toBe('UNSUPPORTED')
  })

  it('accepts a 100 KB bearer token over HTTPS', async () => {
    const certs = await createTestCertificates(dir.path)
    server = await startFromYaml(`storage: { inmemory: }\nhttp:\n  tls:\n    certificate: ${certs.serverCert}\n    key: ${certs.serverKey}\n`)
    const response = await httpsRequest(`${server.url}/v2/`, { ca: await readFile(certs.caCert), headers: { Authorization: token } })
    expect(response.status).toBe(200)
  })

  it('answers 408 to headers that trickle in for longer than http.headerstimeout', async () => {
    server = await startFromYaml('storage: { inmemory: }\nhttp:\n  headerstimeout: 200ms\n')
    const connection = await openRaw(server.url)
    connection.socket.write(`GET /v2/ HTTP/1.1\r\nHost: ${address(server)}\r\nX-Slow: `)
    const trickle = setInterval(() => connection.socket.writable && connection.socket.write('a'), 50)
    try {
      const res = await connection.response
      expect(res.status).toBe(408)
      expect(errorOf(res)?.code).toBe('UNSUPPORTED')
    } finally {
      clearInterval(trickle)
      connection.socket.destroy()
    }
  })
})

describe('an upload body that stops arriving', () => {
  it('is answered 408 after http.bodyidletimeout, logged, and the upload resumes', async () => {
    server = await startFromYaml(`storage: { filesystem: { rootdirectory: ${dir.path}/idle } }\n`, { env: { REGISTRY_HTTP_BODYIDLETIMEOUT: '200ms' } })
    const blob = randomBytes(2000)
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
    const start = await send(`${server.url}/v2/slow/app/blobs/uploads/`, 'POST')
    const location = new URL(String(start.headers.location), server.url)

    // A first chunk arrives whole, so the upload's Range names real bytes ("0-0" also means empty).
    expect((await send(location.href, 'PATCH', { 'Content-Range': '0-499' }, blob.subarray(0, 500))).headers.range).toBe('0-499')

    const stalled = await openRaw(server.url)
    stalled.socket.write(`PATCH ${location.pathname}${location.search} HTTP/1.1\r\nHost: ${address(server)}\r\nContent-Range: 500-1999\r\nContent-Length: 1500\r\n\r\n`)
    stalled.socket.write(blob.subarray(500, 600))
    const res = await stalled.response
    expect(res.status).toBe(408)
    expect(errorOf(res)?.code).toBe('BLOB_UPLOAD_INVALID')
    await stalled.closed

    const status = await send(location.href, 'GET')
    expect(status.status).toBe(204)
    const offset = Number(/^0-(\d+)$/.exec(String(status.headers.range))?.[1] ?? -1) + 1
    expect(offset).toBeGreaterThanOrEqual(500)
    expect((await send(location.href, 'PATCH', { 'Content-Range': `${offset}-${blob.length - 1}` }, blob.subarray(offset))).status).toBe(202)
    location.searchParams.set('digest', digest)
    expect((await send(location.href, 'PUT')).status).toBe(201)
    expect((await send(`${server.url}/v2/slow/app/blobs/${digest}`, 'GET')).body.equals(blob)).toBe(true)
    expect(requestLines(server).find((entry) => entry['status'] === 408)).toMatchObject({ method: 'PATCH', route: 'upload', repository: 'slow/app' })
  })
})
