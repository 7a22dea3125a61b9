import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, type Registry } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { createAzureDriver } from '../../src/index.js'
import { freshContainer, keyOptions, sdkService } from '../connection.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/**
 * Chunk `n` (1 MiB) of test blob `blob`: a random base with both numbers written into it, so no two
 * chunks or blobs are equal and any chunk can be rebuilt later to check what was stored.
 */
function toChunk(base: Buffer, blob: number, n: number): Buffer {
  // A fresh copy per chunk: the HTTP client may still hold the previous one in its socket buffer.
  const chunk = Buffer.from(base)
  chunk.writeUInt32BE(n, 0)
  chunk.writeUInt32BE(blob, 4)
  chunk.writeUInt32BE(n, MiB - 4)
  return chunk
}

/** A request body streaming `size` bytes chunk by chunk (never more than a few chunks in memory). */
function toBody(base: Buffer, blob: number, size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  let n = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (n * MiB >= size) return controller.close()
      const chunk = toChunk(base, blob, n).subarray(0, Math.min(MiB, size - n * MiB))
      hash.update(chunk)
      controller.enqueue(chunk)
      n++
    },
  })
}

function toLocation(response: Response, base: string): string {
  const location = response.headers.get('location')
  if (!location) throw new Error(`no Location in the ${response.status} answer`)
  return new URL(location, base).href
}

describe('committing an upload to a registry on Azure Blob', () => {
  const container = freshContainer('commit-time')
  const base = randomBytes(MiB)
  let registry: Registry
  let server: RunningRegistry

  /**
   * Docker's flow: POST, one streamed PATCH of `size` bytes (chunked transfer encoding), then the
   * PUT ?digest= with no body that commits the upload, timed on its own.
   */
  async function pushStreamed(repository: string, blob: number, size: number, onTick?: () => void) {
    const opened = await fetch(`${server.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
    expect(opened.status).toBe(202)
    const hash = createHash('sha256')
    const timer = onTick ? setInterval(onTick, 20) : undefined
    const t0 = performance.now()
    const patched = await fetch(toLocation(opened, server.url), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: toBody(base, blob, size, hash),
      duplex: 'half',
      // Node 20's fetch otherwise tees a stream body to replay it on a redirect and keeps every chunk
      // of the unread branch: the whole upload in memory (nodejs/undici#4058).
      redirect: 'error',
    })
    const patchMs = performance.now() - t0
    if (timer) clearInterval(timer)
    expect(patched.status).toBe(202)
    expect(patched.headers.get('range')).toBe(`0-${size - 1}`)
    const digest = `sha256:${hash.digest('hex')}`
    const put = new URL(toLocation(patched, server.url))
    put.searchParams.set('digest', digest)
    const t1 = performance.now()
    const committed = await fetch(put, { method: 'PUT' })
    const commitMs = performance.now() - t1
    expect(committed.status).toBe(201)
    expect(committed.headers.get('docker-content-digest')).toBe(digest)
    return { digest, patchMs, commitMs }
  }

  /** The registry serves chunk `n` of blob `blob` (`size` bytes, pushed as `digest`) exactly as generated. */
  async function expectStoredChunk(repository: string, digest: string, blob: number, size: number, n: number) {
    const start = n * MiB
    const end = Math.min(start + MiB, size) - 1
    const response = await fetch(`${server.url}/v2/${repository}/blobs/${digest}`, { headers: { Range: `bytes=${start}-${end}` } })
    expect(response.status).toBe(206)
    const served = Buffer.from(await response.arrayBuffer())
    expect(served.equals(toChunk(base, blob, n).subarray(0, end - start + 1))).toBe(true)
  }

  beforeAll(async () => {
    registry = createRegistry({ storage: createAzureDriver(keyOptions(container)) })
    server = await startRegistry(registry)
    // Warm up (container creation, connections, JIT) so the 64 MiB figure is not a cold start.
    await pushStreamed('warm/up', 0, MiB)
  })

  afterAll(async () => {
    await server?.close()
    await registry?.close()
    // Frees Azurite's memory (it keeps blobs in RAM) for the other test files.
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  it('commits a 1 GiB upload with bounded memory and serves it whole (commit times reported; benchmarks/azure.mjs compares them)', async () => {
    // Three 64 MiB uploads: their median commit is the baseline (one millisecond-scale sample is noisy).
    const smalls = []
    for (const i of [1, 2, 3]) smalls.push(await pushStreamed(`commit/small-${i}`, i, 64 * MiB))
    const smallMs = smalls.map((s) => s.commitMs).sort((x, y) => x - y)[1]!

    global.gc?.()
    const before = process.memoryUsage()
    let peakRss = before.rss
    let peakBuffers = before.arrayBuffers
    const large = await pushStreamed('commit/large', 4, GiB, () => {
      const now = process.memoryUsage()
      peakRss = Math.max(peakRss, now.rss)
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers)
    })
    const rssGrowthMiB = (peakRss - before.rss) / MiB
    const buffersGrowthMiB = (peakBuffers - before.arrayBuffers) / MiB
    console.info(
      `PUT that commits 64 MiB: ${smalls.map((s) => s.commitMs.toFixed(1)).join(', ')} ms (median ${smallMs.toFixed(1)} ms); ` +
        `1 GiB: ${large.commitMs.toFixed(1)} ms. Streamed PATCH of 1 GiB: ${(large.patchMs / 1000).toFixed(1)} s ` +
        `(${(1024 / (large.patchMs / 1000)).toFixed(0)} MiB/s); meanwhile, client and registry in this process: ` +
        `peak RSS +${rssGrowthMiB.toFixed(0)} MiB, peak ArrayBuffer memory +${buffersGrowthMiB.toFixed(0)} MiB`,
    )

    // Commit times are reported above, not asserted (durations fail on a loaded machine):
    // benchmarks/azure.mjs compares 64 MiB with 1 GiB.
    // Client and registry hold a few 1 MiB chunks and one 8 MiB block, never the blob. Seen: +9 to +49 MiB
    // of ArrayBuffers (the client's spent chunks wait for a GC), against 1024 MiB if the blob were held.
    expect(buffersGrowthMiB).toBeLessThan(96)
    expect(rssGrowthMiB).toBeLessThan(128)

    const head = await fetch(`${server.url}/v2/commit/large/blobs/${large.digest}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(GiB))
    // First, middle and last MiB come back as sent (a full read-back is what the 64 MiB check below does).
    for (const n of [0, 511, 1023]) await expectStoredChunk('commit/large', large.digest, 4, GiB, n)
    const small = smalls[0]!
    const whole = await fetch(`${server.url}/v2/commit/small-1/blobs/${small.digest}`)
    const hash = createHash('sha256')
    for await (const part of whole.body as unknown as AsyncIterable<Uint8Array>) hash.update(part)
    expect(`sha256:${hash.digest('hex')}`).toBe(small.digest)
  }, 240_000)
})
