import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig, startServer, toConfigDocument, toServerOptions, type RunningServer } from '@wharf/server'
import { startOwnCeph, waitUntil, type OwnCeph } from './support/own-ceph.js'

// Issue 7, S3 case: the standalone server's health follows the S3 endpoint going away and coming back.
// This file starts its own radosgw, because it stops it; the shared one of the global setup stays up.
describe('storage health on S3', () => {
  let ceph: OwnCeph | undefined
  let server: RunningServer | undefined
  // The server's JSON log lines, to check what it told the operator.
  const logLines: string[] = []
  const logged = (text: string) => logLines.filter((line) => line.includes(`"msg":${JSON.stringify(text)}`))

  beforeAll(async () => {
    ceph = await startOwnCeph('wharf-health')
    const yaml = `
storage:
  s3:
    bucket: ${ceph.bucket}
    region: us-east-1
    regionendpoint: ${ceph.endpoint}
    forcepathstyle: true
    accesskey: ${ceph.accessKeyId}
    secretkey: ${ceph.secretAccessKey}
  redirect: { disable: true }
http:
  addr: 127.0.0.1:0
health:
  storagedriver: { enabled: true, interval: 500ms, threshold: 2 }
`
    const loaded = parseConfig(toConfigDocument(yaml))
    const logDestination = { write: (line: string) => void logLines.push(line) }
    server = await startServer(await toServerOptions(loaded.config, { warnings: loaded.warnings, logDestination }))
  })

  afterAll(async () => {
    await server?.close({ drainTimeoutMs: 2000 })
    await ceph?.stop()
  })

  const statusOf = async (path: string) => {
    const response = await fetch(`${server!.url}${path}`)
    return { status: response.status, body: (await response.json()) as unknown }
  }

  it('turns 503 when the S3 server stops, and back to 200 when it answers again', async () => {
    await waitUntil(async () => (await statusOf('/debug/health')).status === 200, 15_000, 'healthy at start')
    expect((await fetch(`${server!.url}/v2/`)).status).toBe(200)
    const bytes = randomBytes(4096)
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    const pushed = await fetch(`${server!.url}/v2/health/before/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes })
    expect(pushed.status).toBe(201)

    const stoppedAt = Date.now()
    await ceph!.stopGateway()
    await waitUntil(async () => (await statusOf('/debug/health')).status === 503, 20_000, '503 after radosgw stopped')
    const turnedRedMs = Date.now() - stoppedAt
    expect(await statusOf('/debug/health')).toEqual({ status: 503, body: { storagedriver_s3: 'storage is unreachable or not writable' } })
    expect((await statusOf('/healthz')).status).toBe(503)
    const api = await fetch(`${server!.url}/v2/`)
    expect(api.status).toBe(503)
    expect(((await api.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAVAILABLE')
    expect(logged('storage health check failed').length).toBeGreaterThanOrEqual(2)

    const restartedAt = Date.now()
    await ceph!.startGateway()
    await waitUntil(async () => (await statusOf('/debug/health')).status === 200, 20_000, '200 after radosgw came back')
    const turnedGreenMs = Date.now() - restartedAt
    expect((await fetch(`${server!.url}/v2/`)).status).toBe(200)
    expect(logged('storage health check recovered')).toHaveLength(1)
    // The outage lost nothing: the blob pushed before it is served after it.
    const pulled = await fetch(`${server!.url}/v2/health/before/blobs/${digest}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(bytes)).toBe(true)
    if (process.env['WHARF_S3_VERBOSE']) console.log(`503 after ${turnedRedMs} ms, 200 again ${turnedGreenMs} ms after the restart began`)
  })
})
