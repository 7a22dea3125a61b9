import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createMemoryDriver, createRegistry } from '@wharf/core'
import { suiteHelpers } from '@wharf/testing'
import { createExpressRouter } from '@wharf/http-adapter/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('the Express middleware mounted on the /v2 path or inside a router', () => {
  const registry = createRegistry({ storage: createMemoryDriver() })
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    const app = express()
    const router = express.Router()
    router.use(createExpressRouter(registry))
    // Express strips the mount path from req.url; the registry still sees the whole original path.
    app.use('/v2', router)
    app.get('/own', (_req, res) => void res.send('own'))
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections()))
  })
  afterAll(async () => {
    await close()
    await registry.close()
  })

  it('serves the whole API with the paths clients use', async () => {
    expect((await fetch(`${url}/v2/`)).status).toBe(200)
    const client = { fetch: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init), close: async () => {} }
    const image = await suiteHelpers.makeImage(client, 'mounted/app')
    expect((await suiteHelpers.putManifest(client, 'mounted/app', 'v1', image.bytes, image.mediaType)).status).toBe(201)
    const got = await fetch(`${url}/v2/mounted/app/manifests/v1`, { headers: { Accept: image.mediaType } })
    expect(got.headers.get('docker-content-digest')).toBe(image.digest)
    const opened = await fetch(`${url}/v2/mounted/app/blobs/uploads/`, { method: 'POST' })
    expect(opened.headers.get('location')).toMatch(/^\/v2\/mounted\/app\/blobs\/uploads\//)
    expect(await (await fetch(`${url}/own`)).text()).toBe('own')
  })
})
