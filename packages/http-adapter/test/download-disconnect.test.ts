import { readdirSync, readlinkSync } from 'node:fs'
import { request } from 'node:http'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ADAPTERS, type AdapterServer } from './adapter-servers.js'
import { makeRepeatedBlob, sendRepeated } from './raw-http.js'

/** Descriptors this process holds on files below `dir` (the blob being downloaded, say). */
const filesUnder = (dir: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)
    } catch {
      return false
    }
  }).length

/** GETs `url`, reads about `bytes` of the body, then destroys the socket. */
async function readThenDisconnect(url: string, bytes: number): Promise<number> {
  const req = request(url)
  req.end()
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
  let received = 0
  for await (const part of res) {
    received += (part as Buffer).length
    if (received >= bytes) break
  }
  req.destroy()
  return res.statusCode ?? 0
}

describe('a client that disconnects mid-download', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-adapter-download-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  for (const adapter of ALL_ADAPTERS) {
    describe(adapter.name, () => {
      let registry: Registry
      let server: AdapterServer
      const repo = `download/${adapter.name.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`
      const blob = makeRepeatedBlob(32)
      beforeAll(async () => {
        registry = createRegistry({ storage: createFsDriver({ root }) })
        server = await adapter.start(registry)
        const res = await sendRepeated(`${server.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, 'POST', {}, blob.unit, 32)
        expect(res.status).toBe(201)
      })
      afterAll(async () => {
        await server?.close()
        await registry?.close()
      })

      it('closes the blob file once the client is gone', async () => {
        expect(await readThenDisconnect(`${server.url}/v2/${repo}/blobs/${blob.digest}`, 2 * 1024 * 1024)).toBe(200)
        let open = filesUnder(root)
        for (let i = 0; i < 50 && open > 0; i++) {
          await sleep(100)
          open = filesUnder(root)
        }
        expect(open).toBe(0)
      })
    })
  }
})
