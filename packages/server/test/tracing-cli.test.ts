import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureCliBuilt, spawnCli, type CliProcess } from './helpers/cli-process.js'
import { pushBlob } from './helpers/registry-client.js'
import { isTracingRequested } from '../src/tracing-sdk.js'

/** One span as OTLP/HTTP JSON carries it (the fields the test reads). */
interface OtlpSpan {
  name: string
  traceId: string
  spanId: string
  parentSpanId?: string
  attributes: { key: string; value: Record<string, unknown> }[]
}

/** A tiny OTLP/HTTP receiver: keeps every span posted to /v1/traces, with its resource's service.name. */
function createOtlpReceiver() {
  const spans: (OtlpSpan & { service: unknown })[] = []
  const waiters = new Set<() => void>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service = resource.attributes.find((a) => a.key === 'service.name')?.value['stringValue']
          for (const scope of scopeSpans) for (const span of scope.spans) spans.push({ ...span, service })
        }
        waiters.forEach((waiter) => waiter())
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}')
    })
  })
  return {
    spans,
    server,
    /** Resolves with the first span named `name` to arrive. */
    span(name: string): Promise<OtlpSpan & { service: unknown }> {
      return new Promise((resolve) => {
        const check = () => {
          const found = spans.find((span) => span.name === name)
          if (!found) return
          waiters.delete(check)
          resolve(found)
        }
        waiters.add(check)
        check()
      })
    },
  }
}

const receiver = createOtlpReceiver()
let endpoint: string
let cli: CliProcess | undefined
beforeAll(async () => {
  await ensureCliBuilt()
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`
}, 300_000)
afterAll(async () => {
  if (cli) {
    cli.child.kill('SIGTERM')
    await cli.exited
  }
  receiver.server.close()
})

describe('the wharf command with OTEL_* variables', () => {
  it('exports request and storage spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, as service "wharf"', async () => {
    cli = spawnCli([], {
      env: {
        REGISTRY_STORAGE: 'inmemory',
        REGISTRY_HTTP_ADDR: '127.0.0.1:0',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        // Batches leave every 100 ms instead of every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    })
    const url = await cli.listening()
    expect(cli.entries().find((e) => e['msg'] === 'wharf registry listening')).toMatchObject({ tracing: ['otlp'] })
    expect(cli.entries().find((e) => e['msg'] === 'tracing with OpenTelemetry')).toMatchObject({ exporters: ['otlp'], endpoint: `${endpoint}/v1/traces`, serviceName: 'wharf' })
    await pushBlob(url, 'team/app', new TextEncoder().encode('traced'))

    const commit = await receiver.span('PUT /v2/{name}/blobs/uploads/{reference}')
    expect(commit.service).toBe('wharf')
    expect(commit.attributes).toContainEqual({ key: 'oci.repository', value: { stringValue: 'team/app' } })
    expect(commit.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 201 } })
    const finish = await receiver.span('storage.finishWrite')
    expect(finish.traceId).toBe(commit.traceId)
    expect(finish.parentSpanId).toBe(commit.spanId)
  })

  it('starts no SDK unless OTEL_TRACES_EXPORTER (not none) or an OTLP endpoint asks for one; OTEL_SDK_DISABLED wins', async () => {
    expect(isTracingRequested({})).toBe(false)
    expect(isTracingRequested({ OTEL_SERVICE_NAME: 'registry' })).toBe(false)
    expect(isTracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false)
    expect(isTracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true)
    expect(isTracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true)
    expect(isTracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false)

    const plain = spawnCli([], { env: { REGISTRY_STORAGE: 'inmemory', REGISTRY_HTTP_ADDR: '127.0.0.1:0', OTEL_SERVICE_NAME: 'registry' } })
    try {
      await plain.listening()
      expect(plain.entries().find((e) => e['msg'] === 'wharf registry listening')).not.toHaveProperty('tracing')
      expect(plain.entries().find((e) => e['msg'] === 'tracing with OpenTelemetry')).toBeUndefined()
    } finally {
      plain.child.kill('SIGTERM')
      await plain.exited
    }
  })
})
