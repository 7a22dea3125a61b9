import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'

/**
 * With no access log, no notification endpoint and no served metrics (the `wharf` command at log
 * level warn), the listener skips each request's context, byte counts and metrics. What a client
 * or an operator sees must not change: request ids, configured headers, health answers, and the
 * count of requests a shutdown cut.
 */
const YAML = [
  'log: { level: warn, accesslog: { disabled: true } }',
  'storage: { inmemory: }',
  'http:',
  '  headers:',
  '    X-Content-Type-Options: [nosniff]',
  '  trustedproxies: [127.0.0.0/8]',
  '',
].join('\n')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const startUnobserved = () => startFromYaml(YAML, { override: (options) => ({ ...options, metricsOnlyWhenServed: true }) })

describe('requests nothing observes', () => {
  it('still carry a fresh request id (or a trusted proxy one) and the configured headers', async () => {
    server = await startUnobserved()
    const answers = await Promise.all([fetch(`${server.url}/v2/`), fetch(`${server.url}/v2/a/b/blobs/sha256:${'0'.repeat(64)}`), fetch(`${server.url}/v2/a/b/manifests/latest`)])
    expect(answers.map((a) => a.status)).toEqual([200, 404, 404])
    const ids = answers.map((a) => a.headers.get('x-request-id') ?? '')
    for (const id of ids) expect(id).toMatch(UUID)
    expect(new Set(ids).size).toBe(3)
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
    const proxied = await fetch(`${server.url}/v2/`, { headers: { 'X-Request-Id': 'from-the-proxy' } })
    expect(proxied.headers.get('x-request-id')).toBe('from-the-proxy')
  })

  it('answer health checks on the main port, without a request id, as the observed path does', async () => {
    server = await startUnobserved()
    for (const path of ['/debug/health', '/healthz']) {
      const health = await fetch(`${server.url}${path}`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({})
      expect(health.headers.get('x-request-id')).toBeNull()
    }
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('are counted while open: a shutdown cuts only the request still running', async () => {
    server = await startUnobserved()
    const { url, logs } = server
    // Finished requests on kept-alive connections must not count as cut.
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/v2/`)).status).toBe(200)
    const started = await fetch(`${url}/v2/cut/app/blobs/uploads/`, { method: 'POST' })
    const location = new URL(started.headers.get('location')!, url)
    const arrived = new Promise((resolve) => server!.running.server.once('request', resolve))
    const patch = request(location, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' } })
    const cut = new Promise((resolve) => patch.once('error', resolve))
    patch.write(Buffer.alloc(1024))
    await arrived
    await server.close(200)
    server = undefined
    await cut
    expect(logs.find('drain timeout reached')).toEqual([expect.objectContaining({ requests: 1 })])
  })
})
