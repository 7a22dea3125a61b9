import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerMetrics, type EnvelopeEvent } from '@wharf/server'
import { createEndpointQueue } from '../src/notifications/endpoint-queue.js'
import { createLogCapture } from './helpers/log-capture.js'
import { startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushBlob, pushImage, waitFor } from './helpers/registry-client.js'
import { findFreePort, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!()
})

async function receiver(port?: number): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(port)
  cleanup.push(() => started.close())
  return started
}

async function server(yaml: string): Promise<TestServer> {
  const started = await startFromYaml(yaml)
  cleanup.push(() => started.close())
  return started
}

async function metric(s: TestServer, series: string): Promise<number> {
  const text = await s.running.metrics.registry.metrics()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

/** A registry notifying a receiver that never answers, through endpoint `name` with `timeout`. */
async function withHangingReceiver(name: string, timeout: string): Promise<{ hanging: WebhookReceiver; registry: TestServer }> {
  const hanging = await receiver()
  hanging.mode = 'hang'
  const registry = await server(`
storage: { inmemory: }
notifications:
  endpoints:
    - { name: ${name}, url: "${hanging.url}", timeout: ${timeout}, threshold: 2, backoff: 300ms }
`)
  return { hanging, registry }
}

/** Pushes `count` distinct blobs one after another; resolves to their digests. */
async function pushes(base: string, repository: string, count: number): Promise<string[]> {
  const digests: string[] = []
  for (let i = 0; i < count; i++) digests.push(await pushBlob(base, repository, new TextEncoder().encode(`blob ${repository} ${i}`)))
  return digests
}

describe('webhook notifications', () => {
  it('deliver push, pull and delete events as registry:2 envelopes, with the endpoint headers and filters', async () => {
    const all = await receiver()
    const filtered = await receiver()
    const registry = await server(`
storage: { inmemory: , delete: { enabled: true } }
notifications:
  endpoints:
    - name: all
      url: ${all.url}
      headers: { Authorization: [Bearer hook-token], X-Source: [wharf] }
      timeout: 2s
    - name: filtered
      url: ${filtered.url}
      ignoredmediatypes: [application/octet-stream]
      ignore: { actions: [pull] }
    - name: off
      url: http://127.0.0.1:1/never
      disabled: true
`)
    const image = await pushImage(registry.url, 'team/app', 'v1')
    const manifest = await fetch(`${registry.url}/v2/team/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST, 'User-Agent': 'test-client/1.0' } })
    expect(manifest.status).toBe(200)
    await manifest.arrayBuffer()
    const blob = await fetch(`${registry.url}/v2/team/app/blobs/${image.layerDigest}`)
    await blob.arrayBuffer()
    expect((await fetch(`${registry.url}/v2/team/app/manifests/${image.manifestDigest}`, { method: 'DELETE' })).status).toBe(202)

    await waitFor(() => all.events().length >= 6, 5000, 'six events at the "all" endpoint')
    await waitFor(() => filtered.events().length >= 2, 5000, 'two events at the "filtered" endpoint')
    const events = all.events()
    expect(events.map((e) => [e.action, e.target.mediaType, e.target.digest, e.target.tag])).toEqual([
      ['push', 'application/octet-stream', image.configDigest, undefined],
      ['push', 'application/octet-stream', image.layerDigest, undefined],
      ['push', OCI_MANIFEST, image.manifestDigest, 'v1'],
      ['pull', OCI_MANIFEST, image.manifestDigest, 'v1'],
      ['pull', 'application/octet-stream', image.layerDigest, undefined],
      ['delete', OCI_MANIFEST, image.manifestDigest, undefined],
    ])
    const manifestPush = events[2]!
    const port = new URL(registry.url).port
    expect(manifestPush).toMatchObject({
      action: 'push',
      target: {
        mediaType: OCI_MANIFEST,
        size: image.manifestSize,
        length: image.manifestSize,
        digest: image.manifestDigest,
        repository: 'team/app',
        url: `${registry.url}/v2/team/app/manifests/${image.manifestDigest}`,
        tag: 'v1',
      },
      request: { method: 'PUT', host: `127.0.0.1:${port}` },
      actor: {},
      source: { addr: expect.stringMatching(new RegExp(`:${port}$`)) },
    })
    expect(manifestPush.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(manifestPush.request.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(manifestPush.request.addr).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(new Date(manifestPush.timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(events[3]!.request.useragent).toBe('test-client/1.0')
    expect(new Set(events.map((e) => e.source.instanceID)).size).toBe(1)
    // The request ids match the access log's.
    const logged = new Set(registry.logs.find('request').map((l) => l['reqId']))
    expect(events.every((e) => logged.has(e.request.id))).toBe(true)

    const envelope = all.received[0]!
    expect(envelope.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json')
    expect(envelope.headers['authorization']).toBe('Bearer hook-token')
    expect(envelope.headers['x-source']).toBe('wharf')
    expect(all.received.every((r) => r.events.length === 1)).toBe(true)

    // No pulls, no blob (octet-stream) events: the manifest push and its delete.
    expect(filtered.events().map((e) => [e.action, e.target.digest])).toEqual([
      ['push', image.manifestDigest],
      ['delete', image.manifestDigest],
    ])
    await waitFor(async () => (await metric(registry, 'wharf_notifications_delivered_total{endpoint="all"}')) === 6, 5000, 'six deliveries counted')
  })

  it('with the receiver down, pushes succeed and the events are delivered once it is back', async () => {
    const port = await findFreePort()
    const registry = await server(`
storage: { inmemory: }
notifications:
  endpoints:
    - { name: down, url: "http://127.0.0.1:${port}/events", timeout: 500ms, threshold: 3, backoff: 200ms }
`)
    await pushes(registry.url, 'warmup', 10)
    const pushed = await pushes(registry.url, 'app', 40)
    await waitFor(async () => (await metric(registry, 'wharf_notifications_failures_total{endpoint="down"}')) >= 4, 5000, 'failed attempts')
    expect(registry.logs.find('notification endpoint failing, retrying with backoff').length).toBeGreaterThanOrEqual(1)
    expect(await metric(registry, 'wharf_notifications_pending{endpoint="down"}')).toBe(50)

    const back = await receiver(port)
    await waitFor(() => back.events().length >= 50, 10_000, 'the queued events after the receiver came back')
    expect(back.events().filter((e) => e.target.repository === 'app').map((e) => e.target.digest)).toEqual(pushed)
    expect(await metric(registry, 'wharf_notifications_pending{endpoint="down"}')).toBe(0)
    expect(registry.logs.find('notification endpoint recovered')).toHaveLength(1)
  })

  it('a receiver that never answers does not hold pushes back: delivery is off the request path', async () => {
    // Invariant: a push is answered whatever the webhook does. With a 10-minute delivery timeout, a
    // push that waited for its delivery would not be answered within the test's timeout.
    const { hanging, registry } = await withHangingReceiver('stuck', '10m')
    const digests = await pushes(registry.url, 'app', 5)
    expect(digests).toHaveLength(5)
    // The first delivery is still open at the receiver, unanswered, and nothing was delivered.
    await waitFor(() => hanging.requests >= 1, 5000, 'the first delivery reaching the receiver')
    expect(hanging.received).toHaveLength(0)
    expect(await metric(registry, 'wharf_notifications_pending{endpoint="stuck"}')).toBeGreaterThanOrEqual(4)
  })

  it('a hanging receiver is timed out and retried with backoff', async () => {
    const { hanging, registry } = await withHangingReceiver('slow', '1s')
    const started = Date.now()
    const digests = await pushes(registry.url, 'app', 5)
    await waitFor(async () => (await metric(registry, 'wharf_notifications_failures_total{endpoint="slow"}')) >= 3, 30_000, 'three timed-out attempts')
    // Two attempts back to back (1 s timeouts each), then the 300 ms backoff before the third: a
    // lower bound, which a slow machine can only make longer.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000)
    expect(await metric(registry, 'wharf_notifications_responses_total{endpoint="slow",code="error"}')).toBeGreaterThanOrEqual(3)
    hanging.mode = 'ok'
    await waitFor(() => hanging.events().length >= 5, 10_000, 'delivery once the receiver answers')
    expect(hanging.events().map((e) => e.target.digest)).toEqual(digests)
  })

  it('a receiver answering 500 is retried until it accepts', async () => {
    const failing = await receiver()
    failing.mode = 'fail'
    const registry = await server(`
storage: { inmemory: }
notifications:
  endpoints:
    - { name: failing, url: "${failing.url}", timeout: 1s, threshold: 1, backoff: 100ms }
`)
    await pushBlob(registry.url, 'app', new TextEncoder().encode('x'))
    await waitFor(async () => (await metric(registry, 'wharf_notifications_responses_total{endpoint="failing",code="500"}')) >= 2, 5000, 'retries after 500')
    failing.mode = 'ok'
    await waitFor(() => failing.events().length === 1, 5000, 'delivery after recovery')
  })

  it('events that overflow an endpoint queue are dropped oldest first, and counted', async () => {
    const port = await findFreePort()
    const metrics = createServerMetrics()
    const logs = createLogCapture()
    const queue = createEndpointQueue({ name: 'small', url: `http://127.0.0.1:${port}/events`, headers: {}, timeoutMs: 200, threshold: 1, backoffMs: 100, maxQueue: 3, logger: pino({}, logs), metrics })
    cleanup.push(() => queue.close())
    const event = (n: number) => ({ id: String(n) }) as EnvelopeEvent
    for (let n = 1; n <= 5; n++) queue.push(event(n))
    expect(queue.pending).toBe(3)
    const dropped = await metrics.registry.getSingleMetricAsString('wharf_notifications_dropped_total')
    expect(dropped).toContain('wharf_notifications_dropped_total{endpoint="small"} 2')
    expect(logs.find('notification queue full')).toHaveLength(1)
    const back = await receiver(port)
    await waitFor(() => back.events().length === 3, 5000, 'the three kept events')
    expect(back.events().map((e) => e.id)).toEqual(['3', '4', '5'])
  })
})
