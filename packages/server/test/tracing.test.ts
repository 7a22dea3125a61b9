import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHUNK_PUMP, createMemoryDriver, createRegistry, toChunkPump, type StorageDriver } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushBlob, sha256 } from './helpers/registry-client.js'

// One SDK for the file, as a host application would register it: spans land in memory.
const exporter = new InMemorySpanExporter()
const onEnd = new Set<(span: ReadableSpan) => void>()
const endNotifier: SpanProcessor = { onStart: () => undefined, onEnd: (span) => onEnd.forEach((listener) => listener(span)), forceFlush: async () => undefined, shutdown: async () => undefined }
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), endNotifier] })

/** Resolves when a span named `name` has ended (at once if one has). */
function spanEnded(name: string): Promise<ReadableSpan> {
  const done = exporter.getFinishedSpans().find((span) => span.name === name)
  if (done) return Promise.resolve(done)
  return new Promise((resolve) => {
    const listener = (span: ReadableSpan) => {
      if (span.name !== name) return
      onEnd.delete(listener)
      resolve(span)
    }
    onEnd.add(listener)
  })
}
beforeAll(() => provider.register())
afterAll(async () => {
  await provider.shutdown()
  trace.disable()
  context.disable()
  propagation.disable()
})

let server: TestServer | undefined
let adapter: RunningRegistry | undefined
afterEach(async () => {
  await server?.close()
  await adapter?.close()
  server = adapter = undefined
  exporter.reset()
})

const requestSpans = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name)
const childrenOf = (parent: ReadableSpan) => exporter.getFinishedSpans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)

describe('OpenTelemetry spans', () => {
  it('a push through the standalone server: one SERVER span per request, storage spans as its children, the client\'s traceparent continued', async () => {
    server = await startFromYaml('storage: { inmemory: }\n')
    const layer = new TextEncoder().encode('a layer pushed in one PATCH')
    const start = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST' })
    expect(start.status).toBe(202)
    const patch = await fetch(new URL(start.headers.get('location')!, server.url), { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' }, body: layer })
    expect(patch.status).toBe(202)
    const commit = new URL(patch.headers.get('location')!, server.url)
    commit.searchParams.set('digest', sha256(layer))
    expect((await fetch(commit, { method: 'PUT' })).status).toBe(201)
    const config = new TextEncoder().encode('{}')
    await pushBlob(server.url, 'team/app', config)
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    })
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpanId = '00f067aa0ba902b7'
    const put = await fetch(`${server.url}/v2/team/app/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST, traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: manifest,
    })
    expect(put.status).toBe(201)
    await provider.forceFlush()

    const [post] = requestSpans('POST /v2/{name}/blobs/uploads/')
    const [patched] = requestSpans('PATCH /v2/{name}/blobs/uploads/{reference}')
    const [committed] = requestSpans('PUT /v2/{name}/blobs/uploads/{reference}')
    const [pushed] = requestSpans('PUT /v2/{name}/manifests/{reference}')
    for (const [span, method, status] of [[post, 'POST', 202], [patched, 'PATCH', 202], [committed, 'PUT', 201], [pushed, 'PUT', 201]] as const) {
      expect(span, `${method} span`).toBeDefined()
      expect(span!.kind).toBe(SpanKind.SERVER)
      expect(span!.attributes).toMatchObject({ 'http.request.method': method, 'http.response.status_code': status, 'oci.repository': 'team/app' })
      expect(span!.attributes['url.path']).toMatch(/^\/v2\/team\/app\//)
      expect(span!.status.code).toBe(SpanStatusCode.UNSET)
      const storage = childrenOf(span!)
      expect(storage.length, `${span!.name} has storage spans`).toBeGreaterThan(0)
      for (const child of storage) {
        expect(child.name).toMatch(/^storage\.[a-zA-Z]+$/)
        expect(child.spanContext().traceId).toBe(span!.spanContext().traceId)
        expect(child.attributes['storage.driver']).toBe('memory')
        expect(typeof child.attributes['storage.key']).toBe('string')
      }
    }
    expect(childrenOf(patched!).map((span) => span.name)).toContain('storage.appendWrite')
    expect(childrenOf(committed!).map((span) => span.name)).toContain('storage.finishWrite')
    expect(childrenOf(pushed!).map((span) => span.name)).toContain('storage.put')
    expect(pushed!.attributes).toMatchObject({ 'http.route': '/v2/{name}/manifests/{reference}', 'oci.route': 'manifest', 'oci.reference': 'v1' })
    // The manifest PUT continued the client's trace.
    expect(pushed!.spanContext().traceId).toBe(traceId)
    expect(pushed!.parentSpanContext?.spanId).toBe(callerSpanId)
    // Without a traceparent, each request starts its own trace.
    expect(post!.parentSpanContext).toBeUndefined()
    expect(post!.spanContext().traceId).not.toBe(patched!.spanContext().traceId)
  })

  it('through an adapter on a real port: an unexpected storage failure is recorded as ERROR on the storage and request spans; not-found is an answer', async () => {
    const memory = createMemoryDriver()
    const failing: StorageDriver = Object.assign(Object.create(memory) as StorageDriver, {
      get: (key: string) => (key.includes('broken') ? Promise.reject(new Error('disk on fire')) : memory.get(key)),
    })
    adapter = await startRegistry(createRegistry({ storage: failing }))
    expect((await fetch(`${adapter.url}/v2/broken/manifests/v1`)).status).toBe(500)
    expect((await fetch(`${adapter.url}/v2/fine/manifests/v1`)).status).toBe(404)
    await provider.forceFlush()

    const [failed, missing] = requestSpans('GET /v2/{name}/manifests/{reference}').sort((a, b) => (a.attributes['oci.repository'] === 'broken' ? -1 : b.attributes['oci.repository'] === 'broken' ? 1 : 0))
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR)
    expect(failed!.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500', 'oci.repository': 'broken' })
    expect(failed!.events.map((event) => event.name)).toContain('exception')
    const storageFailure = childrenOf(failed!).find((span) => span.status.code === SpanStatusCode.ERROR)
    expect(storageFailure?.name).toBe('storage.get')
    expect(storageFailure?.status.message).toBe('disk on fire')

    expect(missing!.status.code).toBe(SpanStatusCode.UNSET)
    expect(missing!.attributes['http.response.status_code']).toBe(404)
    const lookups = childrenOf(missing!)
    expect(lookups.length).toBeGreaterThan(0)
    expect(lookups.every((span) => span.status.code === SpanStatusCode.UNSET)).toBe(true)
    expect(lookups.some((span) => span.attributes['storage.outcome'] === 'not-found')).toBe(true)
  })

  it('a blob GET\'s span lasts until its streamed body has been read', async () => {
    adapter = await startRegistry(createRegistry({ storage: createMemoryDriver() }))
    const blob = new Uint8Array(256 * 1024).fill(3)
    const digest = await pushBlob(adapter.url, 'app', blob)
    const response = await fetch(`${adapter.url}/v2/app/blobs/${digest}`)
    expect((await response.arrayBuffer()).byteLength).toBe(blob.length)
    const get = await spanEnded('GET /v2/{name}/blobs/{digest}')
    expect(get?.attributes).toMatchObject({ 'http.response.status_code': 200, 'oci.digest': digest, 'http.route': '/v2/{name}/blobs/{digest}' })
    expect(childrenOf(get!).map((span) => span.name)).toContain('storage.read')
  })

  it('a traced blob GET from disk still goes through the storage\'s chunk pump, and its span ends when the pump is done', async () => {
    // Invariant: tracing does not take the node:http adapter off the buffer-reusing pull path, and
    // the download's span still covers the whole body.
    const root = await mkdtemp(join(tmpdir(), 'wharf-tracing-pump-'))
    try {
      const fs = createFsDriver({ root })
      let pumped = 0
      const counting: StorageDriver = Object.assign(Object.create(fs) as StorageDriver, {
        read: async (...args: Parameters<StorageDriver['read']>) => {
          const stream = await fs.read(...args)
          const pump = toChunkPump(stream)
          return pump ? Object.assign(stream, { [CHUNK_PUMP]: (write: (chunk: Uint8Array) => Promise<void>) => (pumped++, pump(write)) }) : stream
        },
      })
      adapter = await startRegistry(createRegistry({ storage: counting }))
      const blob = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i % 251)
      const digest = await pushBlob(adapter.url, 'app', blob)
      const response = await fetch(`${adapter.url}/v2/app/blobs/${digest}`)
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(blob))).toBe(true)
      const get = await spanEnded('GET /v2/{name}/blobs/{digest}')
      expect(pumped).toBe(1)
      expect(get.status.code).toBe(SpanStatusCode.UNSET)
      expect(get.attributes['http.response.status_code']).toBe(200)
    } finally {
      await adapter?.close()
      adapter = undefined
      await rm(root, { recursive: true, force: true })
    }
  })
})
