import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ADAPTERS, type AdapterServer } from './adapter-servers.js'
import { measureRssGrowth, MiB } from './memory-probe.js'
import { makeRepeatedBlob, readSlowly, sendRepeated } from './raw-http.js'

const BLOB_MIB = 256
// A client far slower than the server can read from disk, so the response must wait on backpressure.
const SLOW_CLIENT_BYTES_PER_SECOND = 128 * MiB
// Buffering the blob would grow RSS by at least its size. Streaming keeps a few chunks alive, but
// chunks already written are freed only when V8 collects them, and V8 lets up to 64 MiB of such
// external (ArrayBuffer) memory pile up before it forces a collection: hence 64 MiB of possible
// garbage plus 32 MiB for the chunks in flight, sockets and code.
const MAX_GROWTH = 96 * MiB

describe(`a ${BLOB_MIB} MiB blob through each adapter keeps the server's memory flat`, () => {
  let root: string
  const blob = makeRepeatedBlob(BLOB_MIB)
  const figures: string[] = []
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-adapter-memory-'))
  })
  afterAll(async () => {
    console.log(`RSS growth over the settled baseline (limit ${MAX_GROWTH / MiB} MiB):\n${figures.join('\n')}`)
    await rm(root, { recursive: true, force: true })
  })

  for (const adapter of ALL_ADAPTERS) {
    describe(adapter.name, () => {
      let registry: Registry
      let server: AdapterServer
      const repo = `memory/${adapter.name.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`
      beforeAll(async () => {
        registry = createRegistry({ storage: createFsDriver({ root }) })
        server = await adapter.start(registry)
      })
      afterAll(async () => {
        await server?.close()
        await registry?.close()
      })

      it('pushes it in one streamed POST without holding it in memory', async () => {
        const { result, growth } = await measureRssGrowth(() =>
          sendRepeated(`${server.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, 'POST', { 'Content-Type': 'application/octet-stream' }, blob.unit, BLOB_MIB),
        )
        figures.push(`  ${adapter.name}: push ${(growth / MiB).toFixed(1)} MiB`)
        expect(result.status, result.body.toString()).toBe(201)
        expect(growth).toBeLessThan(MAX_GROWTH)
      })

      it('serves it to a slow client, waiting on backpressure instead of buffering', async () => {
        const { result, growth } = await measureRssGrowth(() => readSlowly(`${server.url}/v2/${repo}/blobs/${blob.digest}`, SLOW_CLIENT_BYTES_PER_SECOND))
        figures.push(`  ${adapter.name}: slow pull ${(growth / MiB).toFixed(1)} MiB`)
        expect(result).toEqual({ status: 200, size: blob.size, digest: blob.digest })
        expect(growth).toBeLessThan(MAX_GROWTH)
      })
    })
  }
})
