/**
 * A client whose upload request died mid-body resumes at once on the same process, even while the
 * storage is still busy with the dead request's bytes. A CI run of 2026-12-07 failed on this: the
 * resuming PATCH was refused with 416, because the body-idle watch hid the socket's close from core
 * until the driver asked for the next chunk. Through a real port, with the adapter's default
 * body-idle watch on.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { request } from 'node:http'
import { createMemoryDriver, createRegistry, type Registry, type StorageDriver } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { afterEach, describe, expect, it } from 'vitest'

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/**
 * A memory driver whose first upload append takes one chunk and then stops reading until released,
 * and which reports when the upload session record is read again once `armed`.
 */
function createStallingDriver() {
  const driver = createMemoryDriver()
  let stalled = false
  let armed = false
  let entered!: () => void
  const inside = new Promise<void>((resolve) => (entered = resolve))
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let loaded!: () => void
  const sessionLoaded = new Promise<void>((resolve) => (loaded = resolve))
  const stalling: StorageDriver = {
    ...driver,
    async get(key, options) {
      const found = await driver.get(key, options)
      if (armed && key.startsWith('uploads/')) loaded()
      return found
    },
    async appendWrite(state, data, options) {
      if (stalled) return driver.appendWrite(state, data, options)
      stalled = true
      const source = data[Symbol.asyncIterator]()
      const first = await source.next()
      entered()
      // Busy "writing": the body is not read while the gate is closed.
      await gate
      const rest = (async function* () {
        if (!first.done) yield first.value
        for (;;) {
          const step = await source.next()
          if (step.done) return
          yield step.value
        }
      })()
      return driver.appendWrite(state, rest, options)
    },
  }
  return { driver: stalling, inside, release, sessionLoaded, arm: () => (armed = true) }
}

describe('resuming an upload right after its request died mid-body', () => {
  let registry: Registry | undefined
  let server: RunningRegistry | undefined
  afterEach(async () => {
    await server?.close()
    await registry?.close()
  })

  it('waits for the dead request to unwind instead of answering 416, then takes the whole blob', async () => {
    // Invariant: a lease held by a request whose client is gone never refuses that client's
    // resuming request, whatever the storage is doing; none of the dead request's bytes count.
    const stalling = createStallingDriver()
    registry = createRegistry({ storage: stalling.driver })
    server = await startRegistry(registry)
    const opened = await fetch(`${server.url}/v2/resume/app/blobs/uploads/`, { method: 'POST' })
    const location = new URL(opened.headers.get('location')!, server.url)

    // The server's view of the doomed request: its `close` is what must reach core.
    const closed = new Promise<void>((resolve) =>
      server!.server.once('request', (req: IncomingMessage) => req.once('close', () => resolve())),
    )
    const doomed = request(location, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' } })
    doomed.on('error', () => undefined)
    doomed.write(randomBytes(64 * 1024))
    await stalling.inside
    doomed.destroy()
    await closed

    const blob = randomBytes(300 * 1024)
    stalling.arm()
    const resumed = fetch(location, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' }, body: blob })
    // Once the resuming request has read the session (and so judged its lease, in the same turn),
    // the storage is released: the dead request fails, unwinds and frees the lease. Had its death
    // been unknown when the lease was judged, the resume would have been answered 416 already.
    await stalling.sessionLoaded
    await new Promise((resolve) => setImmediate(resolve))
    stalling.release()
    const res = await resumed
    expect(res.status).toBe(202)
    expect(res.headers.get('range')).toBe(`0-${blob.length - 1}`)
    const put = new URL(res.headers.get('location')!, server.url)
    put.searchParams.set('digest', sha256(blob))
    expect((await fetch(put, { method: 'PUT' })).status).toBe(201)
    const pulled = Buffer.from(await (await fetch(`${server.url}/v2/resume/app/blobs/${sha256(blob)}`)).arrayBuffer())
    expect(pulled.equals(blob)).toBe(true)
  })
})
