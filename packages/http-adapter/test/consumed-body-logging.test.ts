import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'
import { createExpressRouter } from '@wharf/http-adapter/express'
import { suiteHelpers } from '@wharf/testing'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { CONSUMED_BODY_MESSAGE } from '../src/consumed-body.js'

const open: Array<{ server: Server; registry: Registry }> = []
afterEach(async () => {
  for (const { server, registry } of open.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await registry.close()
  }
})

/** Express with express.json() (for every +json type, as apps do for JSON APIs) and express.raw() ahead of the registry. */
async function start(options: { onError?: (error: unknown) => void }): Promise<string> {
  const registry = createRegistry({ storage: createMemoryDriver() })
  const app = express()
  app.use(express.json({ type: ['application/json', 'application/*+json'] }))
  app.use(express.raw({ type: 'application/octet-stream', limit: '16mb' }))
  app.use(createExpressRouter(registry, options))
  const server = app.listen(0, '127.0.0.1')
  open.push({ server, registry })
  if (!server.listening) await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function pushManifest(url: string): Promise<Response> {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: suiteHelpers.sha256(new TextEncoder().encode('{}')), size: 2 }, layers: [] })
  return fetch(`${url}/v2/app/manifests/v1`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest })
}

describe('Express with express.json() and express.raw() mounted before the registry', () => {
  it('a manifest PUT parsed by express.json() and a blob POST read by express.raw() get a registry error body, each passed to onError', async () => {
    const errors: unknown[] = []
    const url = await start({ onError: (error) => errors.push(error) })

    const manifest = await pushManifest(url)
    expect(manifest.status).toBe(500)
    expect(await manifest.json()).toEqual({ errors: [{ code: 'UNKNOWN', message: CONSUMED_BODY_MESSAGE }] })

    const { bytes, digest } = suiteHelpers.makeBlob(1024)
    const blob = await fetch(`${url}/v2/app/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes })
    expect(blob.status).toBe(500)
    expect(((await blob.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(/mount the registry before body parsers/)

    expect(errors.map((e) => (e as Error).message)).toEqual([
      `PUT /v2/app/manifests/v1: ${CONSUMED_BODY_MESSAGE}`,
      `POST /v2/app/blobs/uploads/?digest=${digest}: ${CONSUMED_BODY_MESSAGE}`,
    ])
    expect((await fetch(`${url}/v2/app/manifests/v1`, { method: 'HEAD' })).status).toBe(404)
  })

  it('without onError, the first such request is reported once as a process warning', async () => {
    const url = await start({})
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>
    expect((await pushManifest(url)).status).toBe(500)
    const [warning] = await warned
    expect(warning).toMatchObject({ name: 'WharfWarning', code: 'WHARF_BODY_CONSUMED' })
    expect(warning.message).toBe(`PUT /v2/app/manifests/v1: ${CONSUMED_BODY_MESSAGE}`)

    const later: Error[] = []
    const collect = (w: Error) => void later.push(w)
    process.on('warning', collect)
    expect((await pushManifest(url)).status).toBe(500)
    // A further request with a known answer; any warning for the second PUT would have been emitted before it.
    expect((await fetch(`${url}/v2/`)).status).toBe(200)
    await new Promise<void>((resolve) => setImmediate(resolve))
    process.off('warning', collect)
    expect(later.filter((w) => w.name === 'WharfWarning')).toEqual([])
  })
})
