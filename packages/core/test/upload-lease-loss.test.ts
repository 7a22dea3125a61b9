import { createMemoryDriver, storageKeys, type StorageDriver } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { call, registryOn } from './helpers.js'

/** A body that sends `first` and then stays open until `end()`: a client still streaming. */
function openBody(first: Uint8Array) {
  let end!: () => void
  const ended = new Promise<void>((resolve) => (end = resolve))
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(first)
      await ended
      controller.close()
    },
  })
  return { stream, end }
}

/** Resolves once the session record at `path` holds a lease (a request is writing to it). */
async function untilLeased(storage: StorageDriver, path: string): Promise<void> {
  const key = storageKeys.upload(path.split('/').pop()!)
  for (;;) {
    const record = JSON.parse(new TextDecoder().decode((await storage.get(key)).body)) as { lease?: unknown }
    if (record.lease !== undefined) return
    // The registry runs in this process: yielding to it is all the wait needs.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The memory driver, with writes of session records failing while `failing` is set. */
function flakyRecords(): StorageDriver & { failing: boolean } {
  const inner = createMemoryDriver()
  const driver: StorageDriver & { failing: boolean } = {
    ...inner,
    failing: false,
    put(key, body, options) {
      if (driver.failing && key.startsWith(storageKeys.uploadsPrefix())) return Promise.reject(new Error('storage is down'))
      return inner.put(key, body, options)
    },
  }
  return driver
}

describe('a request that loses its upload lease stops writing', () => {
  it('ends a streaming PATCH whose session was cancelled, without waiting for the client', async () => {
    // Invariant: a renewal that finds the record changed (here: removed by DELETE) aborts the
    // holder's append at once, so it writes nothing more; the client, still sending, gets 416.
    const storage = createMemoryDriver()
    const registry = registryOn(storage, { uploadLeaseMs: 400 })
    const path = (await call(registry, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    const body = openBody(new Uint8Array(100))
    const patch = call(registry, path, { method: 'PATCH', body: body.stream, duplex: 'half' } as RequestInit)
    await untilLeased(storage, path)
    expect((await call(registry, path, { method: 'DELETE' })).status).toBe(204)
    const answer = await patch
    expect(answer.status).toBe(416)
    expect(await answer.text()).toContain('changed by another request')
    body.end()
  })

  it('ends a streaming PATCH that cannot renew its lease, and its lease then binds nobody in this process', async () => {
    // Invariants: a holder that cannot renew gives its write up on its own (before its lease could
    // expire and be taken by another process), although the client is still sending; and the lease
    // it could not release (storage was down) does not block the next request of the same process.
    const storage = flakyRecords()
    const registry = registryOn(storage, { uploadLeaseMs: 400 })
    const path = (await call(registry, '/v2/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
    const body = openBody(new Uint8Array(100))
    const patch = call(registry, path, { method: 'PATCH', body: body.stream, duplex: 'half' } as RequestInit)
    await untilLeased(storage, path)
    storage.failing = true
    const answer = await patch
    expect(answer.status).toBe(416)
    expect(await answer.text()).toContain('could not be renewed')
    body.end()

    storage.failing = false
    const resumed = await call(registry, path, { method: 'PATCH', headers: { 'Content-Range': '0-49' }, body: new Uint8Array(50) })
    expect(resumed.status).toBe(202)
    expect(resumed.headers.get('range')).toBe('0-49')
  })
})
