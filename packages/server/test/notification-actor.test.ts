import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnvelopeEvent } from '@wharf/server'
import { createHtpasswdLine } from './helpers/certificates.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage } from './helpers/registry-client.js'

/** A webhook endpoint whose `next(n)` resolves once `n` events have arrived in all (no polling). */
function eventSink() {
  const events: EnvelopeEvent[] = []
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      events.push(...(JSON.parse(Buffer.concat(chunks).toString()) as { events: EnvelopeEvent[] }).events)
      res.writeHead(200).end()
      for (const waiter of waiters.filter((w) => events.length >= w.n)) waiter.resolve()
    })
  })
  return {
    events,
    server,
    until: (n: number) => (events.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  }
}

let dir: { path: string; remove(): Promise<void> }
let sink: ReturnType<typeof eventSink>
let registry: TestServer
beforeAll(async () => {
  dir = await createTempDir()
  const htpasswd = join(dir.path, 'htpasswd')
  await writeFile(htpasswd, `${await createHtpasswdLine('alice', 'wonderland')}\n`)
  sink = eventSink()
  sink.server.listen(0, '127.0.0.1')
  await once(sink.server, 'listening')
  registry = await startFromYaml(`
storage: { inmemory: }
http: { trustedproxies: [127.0.0.1] }
auth:
  htpasswd: { realm: Registry Realm, path: ${htpasswd} }
notifications:
  endpoints:
    - { name: audit, url: "http://127.0.0.1:${(sink.server.address() as AddressInfo).port}/events", timeout: 5s }
`)
})
afterAll(async () => {
  await registry?.close()
  sink?.server.closeAllConnections()
  sink?.server.close()
  await dir?.remove()
})

describe('webhook events say who acted from where', () => {
  it('push and pull events carry actor.name, request.addr, request.useragent and the access line\'s request id', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` }
    const image = await pushImage(registry.url, 'team/app', 'v1', undefined, { ...auth, 'User-Agent': 'pusher/2.0' })
    const pull = await fetch(`${registry.url}/v2/team/app/manifests/v1`, { headers: { ...auth, Accept: OCI_MANIFEST, 'User-Agent': 'puller/1.0' } })
    expect(pull.status).toBe(200)
    await pull.arrayBuffer()
    await sink.until(4)

    const manifestPush = sink.events.find((e) => e.action === 'push' && e.target.digest === image.manifestDigest)!
    const manifestPull = sink.events.find((e) => e.action === 'pull')!
    const port = new URL(registry.url).port
    expect(manifestPush).toMatchObject({
      actor: { name: 'alice' },
      request: { method: 'PUT', host: `127.0.0.1:${port}`, useragent: 'pusher/2.0', addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      target: { tag: 'v1', repository: 'team/app', mediaType: OCI_MANIFEST, size: image.manifestSize },
    })
    expect(manifestPull).toMatchObject({ actor: { name: 'alice' }, request: { method: 'GET', useragent: 'puller/1.0' }, target: { tag: 'v1' } })
    expect(sink.events.every((e) => e.actor.name === 'alice')).toBe(true)

    // request.id is the id of the access line of the same request, which names the same client address.
    const lines = registry.logs.find('request')
    for (const event of [manifestPush, manifestPull]) {
      const line = lines.find((l) => l['reqId'] === event.request.id)
      expect(line, `access line of ${event.action}`).toBeDefined()
      expect(JSON.stringify(line)).toContain(event.request.addr.split(':')[0]!)
    }
  })

  it('behind a trusted proxy, request.addr and request.id are the ones the proxy forwarded', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` }
    const before = sink.events.length
    const pull = await fetch(`${registry.url}/v2/team/app/manifests/v1`, {
      headers: { ...auth, Accept: OCI_MANIFEST, 'X-Forwarded-For': '203.0.113.9', 'X-Request-Id': 'edge-42' },
    })
    expect(pull.status).toBe(200)
    expect(pull.headers.get('x-request-id')).toBe('edge-42')
    await pull.arrayBuffer()
    await sink.until(before + 1)
    expect(sink.events[before]).toMatchObject({ action: 'pull', actor: { name: 'alice' }, request: { id: 'edge-42', addr: '203.0.113.9' } })
  })
})
