import { request, Agent } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, toLogfmt } from '@wharf/server'
import { createHtpasswdLine } from './helpers/certificates.js'
import { createLogCapture } from './helpers/log-capture.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { sha256 } from './helpers/registry-client.js'

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

/** One request on a given agent (so that several share a keep-alive connection). */
function send(agent: Agent, url: string, method: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const requestLines = (s: TestServer) => s.logs.find('request').filter((entry) => entry['msg'] === 'request')

describe('the access log', () => {
  it('writes one line per request with its own body bytes, even on a shared keep-alive connection', async () => {
    server = await startFromYaml('storage: { inmemory: }\n')
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const data = new Uint8Array(123_457).fill(1)
    const start = await send(agent, `${server.url}/v2/logs/app/blobs/uploads/`, 'POST')
    const location = new URL(String(start.headers['location']), server.url)
    location.searchParams.set('digest', sha256(data))
    const put = await send(agent, location.href, 'PUT', data)
    expect(put.status).toBe(201)
    const get = await send(agent, `${server.url}/v2/logs/app/blobs/${sha256(data)}`, 'GET')
    expect(get.body.length).toBe(data.length)
    const second = await send(agent, `${server.url}/v2/logs/app/blobs/uploads/`, 'POST')
    expect(second.status).toBe(202)
    agent.destroy()

    const lines = requestLines(server)
    expect(lines.map((l) => [l['method'], l['route'], l['repository'], l['status'], l['bytesIn'], l['bytesOut']])).toEqual([
      ['POST', 'upload', 'logs/app', 202, 0, 0],
      ['PUT', 'upload', 'logs/app', 201, data.length, 0],
      ['GET', 'blob', 'logs/app', 200, 0, data.length],
      ['POST', 'upload', 'logs/app', 202, 0, 0],
    ])
    for (const line of lines) {
      expect(line['reqId']).toMatch(/^[0-9a-f-]{36}$/)
      expect(typeof line['ms']).toBe('number')
      expect(line['completed']).toBe(true)
      expect(line['level']).toBe('info')
    }
    expect(new Set(lines.map((l) => l['reqId'])).size).toBe(4)
    // The query string (here the digest) never reaches the log.
    expect(lines[1]!['path']).not.toContain('?')
  })

  it('never writes credentials: no Authorization header, no password, no query string', async () => {
    const htpasswd = join(dir.path, 'htpasswd')
    await writeFile(htpasswd, `${await createHtpasswdLine('alice', 'pa55word')}\n`)
    server = await startFromYaml(`storage: { inmemory: }\nlog: { level: debug }\nauth:\n  htpasswd: { realm: r, path: ${htpasswd} }\n`)
    const basic = `Basic ${Buffer.from('alice:pa55word').toString('base64')}`
    const wrong = `Basic ${Buffer.from('alice:wrong-pa55word').toString('base64')}`
    expect((await fetch(`${server.url}/v2/`, { headers: { Authorization: basic } })).status).toBe(200)
    expect((await fetch(`${server.url}/v2/`, { headers: { Authorization: wrong } })).status).toBe(401)
    expect((await fetch(`${server.url}/v2/x/tags/list?n=1&token=s3cr3t-query`, { headers: { Authorization: basic } })).status).toBe(404)
    const text = server.logs.lines.join('')
    expect(requestLines(server)).toHaveLength(3)
    for (const secret of ['pa55word', Buffer.from('alice:pa55word').toString('base64'), 'Basic ', 's3cr3t-query', 'authorization']) {
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase())
    }
  })

  it('honours log.level: at warn there are no access lines; log.accesslog.disabled turns them off at info', async () => {
    server = await startFromYaml('storage: { inmemory: }\nlog: { level: warn }\n')
    await fetch(`${server.url}/v2/`)
    expect(requestLines(server)).toHaveLength(0)
    await server.close()
    server = await startFromYaml('storage: { inmemory: }\nlog: { accesslog: { disabled: true } }\n')
    await fetch(`${server.url}/v2/`)
    expect(requestLines(server)).toHaveLength(0)
    expect(server.logs.find('wharf registry listening')).toHaveLength(1)
  })

  it('log.formatter text writes one plain logfmt line per entry, with log.fields', () => {
    const capture = createLogCapture()
    const logger = createLogger({ level: 'info', formatter: 'text', fields: { service: 'registry' }, accesslog: { disabled: false } }, capture)
    logger.info({ method: 'GET', status: 200, path: '/v2/a b', err: { message: 'two\nlines' } }, 'request')
    expect(capture.lines).toHaveLength(1)
    expect(capture.lines[0]).toMatch(/^time=\S+ level=info msg=request service=registry method=GET status=200 path="\/v2\/a b" err.message="two\\nlines"\n$/)
  })

  it('logfmt quotes what needs quoting and leaves non-JSON lines alone', () => {
    expect(toLogfmt('{"level":"warn","msg":"a=b","empty":"","n":null,"list":[1,2]}')).toBe('level=warn msg="a=b" empty="" n=null list=[1,2]\n')
    expect(toLogfmt('plain text\n')).toBe('plain text\n')
  })
})
