import { readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ADAPTERS, type AdapterServer } from './adapter-servers.js'
import { makeRepeatedBlob, send, sendThenDisconnect } from './raw-http.js'

const MiB = 1024 * 1024

/** Open descriptors of this process (files, sockets, pipes). */
const openDescriptors = () => readdirSync('/proc/self/fd').length

/** The descriptor count once sockets of earlier requests have finished closing (two equal readings). */
async function stableDescriptors(): Promise<number> {
  let last = openDescriptors()
  for (let i = 0; i < 20; i++) {
    await sleep(50)
    const now = openDescriptors()
    if (now === last) return now
    last = now
  }
  return last
}

/** Waits until the descriptor count is back to `expected` or below (the server notices a lost client asynchronously). */
async function settledDescriptors(expected: number): Promise<number> {
  let count = openDescriptors()
  for (let i = 0; i < 50 && count > expected; i++) {
    await sleep(100)
    count = openDescriptors()
  }
  return count
}

describe('a client that disconnects mid-upload', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-adapter-disconnect-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  for (const adapter of ALL_ADAPTERS) {
    describe(adapter.name, () => {
      let registry: Registry
      let server: AdapterServer
      const repo = `disconnect/${adapter.name.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`
      const blob = makeRepeatedBlob(32)
      beforeAll(async () => {
        registry = createRegistry({ storage: createFsDriver({ root }) })
        server = await adapter.start(registry)
        // Warm up every code path once, so lazily opened descriptors are part of the baseline.
        const start = await send(`${server.url}/v2/${repo}/blobs/uploads/`, 'POST')
        await send(`${server.url}${start.headers.location}`, 'DELETE')
      })
      afterAll(async () => {
        await server?.close()
        await registry?.close()
      })

      it('leaves no visible blob and no open file after a monolithic upload is cut off', async () => {
        const before = await stableDescriptors()
        let during = 0
        await sendThenDisconnect(`${server.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, 'POST', { 'Content-Type': 'application/octet-stream' }, 8 * MiB, blob.size, () => {
          during = openDescriptors()
        })
        // Both ends of the connection plus the staged upload file were open while bytes flowed.
        expect(during).toBeGreaterThanOrEqual(before + 3)
        expect(await settledDescriptors(before)).toBeLessThanOrEqual(before)
        expect((await send(`${server.url}/v2/${repo}/blobs/${blob.digest}`, 'HEAD')).status).toBe(404)
      })

      it('leaves no visible blob and no open file after a streamed PATCH is cut off, and the session stays usable', async () => {
        const start = await send(`${server.url}/v2/${repo}/blobs/uploads/`, 'POST')
        expect(start.status).toBe(202)
        const location = `${server.url}${start.headers.location}`
        const before = await stableDescriptors()
        let during = 0
        await sendThenDisconnect(location, 'PATCH', { 'Content-Type': 'application/octet-stream' }, 8 * MiB, undefined, () => {
          during = openDescriptors()
        })
        expect(during).toBeGreaterThanOrEqual(before + 3)
        expect(await settledDescriptors(before)).toBeLessThanOrEqual(before)
        expect((await send(`${server.url}/v2/${repo}/blobs/${blob.digest}`, 'HEAD')).status).toBe(404)
        // Whatever part of the cut-off chunk was acknowledged, the session answers and can be cancelled.
        const status = await send(location, 'GET')
        expect([204, 404]).toContain(status.status)
        if (status.status === 204) expect((await send(location, 'DELETE')).status).toBe(204)
      })
    })
  }
})
