/**
 * A request body that stops arriving (a client trickling or stalled mid-upload) is answered 408
 * after the configured idle time and the connection closed, and the upload stays resumable from
 * what the registry acknowledged. Waits on events (answer, close), never on durations.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRegistry, type Registry } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRaw, send } from '../../../test-support/http-clients.js'

describe('startRegistry: a request body that stops arriving', () => {
  let root: string
  let registry: Registry
  let server: RunningRegistry
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-idle-body-'))
    registry = createRegistry({ storage: createFsDriver({ root }) })
    server = await startRegistry(registry, { bodyIdleTimeoutMs: 200 })
  })
  afterAll(async () => {
    await server?.close()
    await registry?.close()
    await rm(root, { recursive: true, force: true })
  })

  it('is answered 408 and closed, and the upload resumes from the offset it reports', async () => {
    const blob = randomBytes(3000)
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
    const start = await send(`${server.url}/v2/slow/app/blobs/uploads/`, 'POST')
    const location = `${server.url}${start.headers.location}`
    const first = await send(location, 'PATCH', { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-999' }, blob.subarray(0, 1000))
    expect(first.headers.range).toBe('0-999')

    // The second chunk announces 1000 bytes, sends 10 and then nothing more.
    const stalled = await openRaw(server.url)
    const path = new URL(location).pathname + new URL(location).search
    stalled.socket.write(
      `PATCH ${path} HTTP/1.1\r\nHost: ${server.address}\r\nContent-Type: application/octet-stream\r\nContent-Range: 1000-1999\r\nContent-Length: 1000\r\n\r\n`,
    )
    stalled.socket.write(blob.subarray(1000, 1010))
    const timedOut = await stalled.response
    expect(timedOut.status).toBe(408)
    expect(timedOut.headers.connection).toBe('close')
    expect((JSON.parse(timedOut.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('BLOB_UPLOAD_INVALID')
    await stalled.closed

    const status = await send(location, 'GET')
    expect(status.status).toBe(204)
    const [, end] = /^0-(\d+)$/.exec(String(status.headers.range)) ?? []
    expect(end).toBeDefined()
    const offset = Number(end) + 1
    const rest = await send(location, 'PATCH', { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${blob.length - 1}` }, blob.subarray(offset))
    expect(rest.status).toBe(202)
    const done = await send(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, 'PUT')
    expect(done.status).toBe(201)
    expect((await send(`${server.url}/v2/slow/app/blobs/${digest}`, 'GET')).body.equals(blob)).toBe(true)
  })

  it('leaves a body that arrives without pauses alone', async () => {
    const blob = randomBytes(64 * 1024)
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
    const res = await send(`${server.url}/v2/slow/steady/blobs/uploads/?digest=${digest}`, 'POST', { 'Content-Type': 'application/octet-stream' }, blob)
    expect(res.status).toBe(201)
  })
})
