import { Counter, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage } from './helpers/registry-client.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('Prometheus metrics on the debug listener', () => {
  it('show a push and a pull: requests by route, method and status, latencies, bytes, storage actions', async () => {
    server = await startFromYaml(`
storage: { inmemory: }
http:
  debug:
    addr: 127.0.0.1:0
    prometheus: { enabled: true, path: /metrics }
`)
    const layer = new Uint8Array(300_000).fill(7)
    const image = await pushImage(server.url, 'team/app', 'v1', layer)
    const manifest = await fetch(`${server.url}/v2/team/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST } })
    expect(manifest.status).toBe(200)
    await manifest.arrayBuffer()
    const blob = await fetch(`${server.url}/v2/team/app/blobs/${image.layerDigest}`)
    expect((await blob.arrayBuffer()).byteLength).toBe(layer.length)
    expect((await fetch(`${server.url}/v2/team/app/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404)

    const response = await fetch(`${server.running.debugUrl}/metrics`)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(sample(text, 'wharf_http_requests_total{method="PUT",route="manifest",code="201"}')).toBe(1)
    expect(sample(text, 'wharf_http_requests_total{method="POST",route="upload",code="202"}')).toBe(2)
    expect(sample(text, 'wharf_http_requests_total{method="PUT",route="upload",code="201"}')).toBe(2)
    expect(sample(text, 'wharf_http_requests_total{method="GET",route="manifest",code="200"}')).toBe(1)
    expect(sample(text, 'wharf_http_requests_total{method="GET",route="blob",code="200"}')).toBe(1)
    expect(sample(text, 'wharf_http_requests_total{method="GET",route="blob",code="404"}')).toBe(1)
    expect(sample(text, 'wharf_http_request_duration_seconds_count{method="PUT",route="upload"}')).toBe(2)
    expect(sample(text, 'wharf_pushed_bytes_total{kind="blob"}')).toBe(layer.length + configSize(image))
    expect(sample(text, 'wharf_pushed_bytes_total{kind="manifest"}')).toBe(image.manifestSize)
    expect(sample(text, 'wharf_pulled_bytes_total{kind="blob"}')).toBe(layer.length)
    expect(sample(text, 'wharf_pulled_bytes_total{kind="manifest"}')).toBe(image.manifestSize)
    expect(sample(text, 'wharf_uploads_in_progress')).toBe(0)
    expect(sample(text, 'wharf_http_requests_in_flight{route="upload"}')).toBe(0)
    expect(sample(text, 'wharf_storage_operation_duration_seconds_count{driver="memory",action="finishWrite"}')).toBe(2)
    expect(text).toContain('process_resident_memory_bytes')
    // registry:2's names only when asked for.
    expect(text).not.toContain('registry_http_requests_total')
  })

  it('with http.debug.prometheus.registry2names, registry:2\'s names and labels too, read from the same series', async () => {
    server = await startFromYaml(`
storage: { inmemory: }
http:
  debug:
    addr: 127.0.0.1:0
    prometheus: { enabled: true, registry2names: true }
`)
    await pushImage(server.url, 'team/app', 'v1')
    expect((await fetch(`${server.url}/v2/team/app/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404)
    const text = await (await fetch(`${server.running.debugUrl}/metrics`)).text()
    expect(sample(text, 'wharf_http_requests_total{method="PUT",route="manifest",code="201"}')).toBe(1)
    expect(sample(text, 'registry_http_requests_total{handler="manifest",method="put",code="201"}')).toBe(1)
    expect(sample(text, 'registry_http_requests_total{handler="blob",method="get",code="404"}')).toBe(1)
    expect(sample(text, 'registry_http_request_duration_seconds_count{handler="upload",method="put"}')).toBe(2)
    expect(sample(text, 'registry_http_request_duration_seconds_bucket{le="+Inf",handler="upload",method="put"}')).toBe(2)
    expect(sample(text, 'registry_storage_action_seconds_count{driver="memory",action="finishWrite"}')).toBe(2)
    expect(sample(text, 'registry_http_in_flight_requests{handler="upload"}')).toBe(0)
    expect(text).toContain('# TYPE registry_http_request_duration_seconds histogram')
  })

  it('go on a prom-client registry the host passes in (metricsRegistry), beside the host\'s own metrics', async () => {
    const host = new Registry()
    new Counter({ name: 'host_app_requests_total', help: 'The host application\'s own.', registers: [host] }).inc()
    server = await startFromYaml('storage: { inmemory: }\n', { override: (options) => ({ ...options, metricsRegistry: host }) })
    await pushImage(server.url, 'team/app', 'v1')
    expect(server.running.metrics.registry).toBe(host)
    const text = await host.metrics()
    expect(sample(text, 'host_app_requests_total')).toBe(1)
    expect(sample(text, 'wharf_http_requests_total{method="PUT",route="manifest",code="201"}')).toBe(1)
  })

  it('are not served on the main listener, nor when prometheus is off', async () => {
    server = await startFromYaml(`storage: { inmemory: }\nhttp:\n  debug: { addr: 127.0.0.1:0 }\n`)
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404)
    expect((await fetch(`${server.running.debugUrl}/metrics`)).status).toBe(404)
    expect((await fetch(`${server.running.debugUrl}/debug/health`)).status).toBe(200)
  })

  it('count storage failures', async () => {
    server = await startFromYaml('storage: { inmemory: }\nhealth: { storagedriver: { enabled: false } }\n', {
      override: (options) => ({
        ...options,
        storage: Object.assign(Object.create(options.storage), {
          startWrite: async () => {
            throw new Error('disk on fire')
          },
        }),
      }),
    })
    const response = await fetch(`${server.url}/v2/a/blobs/uploads/`, { method: 'POST' })
    expect(response.status).toBeGreaterThanOrEqual(500)
    const text = await server.running.metrics.registry.metrics()
    expect(sample(text, 'wharf_storage_errors_total{driver="memory",action="startWrite"}')).toBe(1)
    expect(server.logs.find('request failed')[0]).toMatchObject({ err: { message: 'disk on fire' }, method: 'POST', path: '/v2/a/blobs/uploads/' })
  })
})

function configSize(image: { manifest: string }): number {
  return (JSON.parse(image.manifest) as { config: { size: number } }).config.size
}
