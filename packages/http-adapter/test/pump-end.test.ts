import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRegistry } from '@wharf/core'
import { startRegistry } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { describe, expect, it } from 'vitest'

describe('a download through the storage chunk pump', () => {
  it('ends its response with the last byte, so a server closed right after it does not wait for the keep-alive timeout', async () => {
    // Invariant: once the client holds the whole body, the connection is idle. Before, the response
    // ended only after the last write's callback; the client could finish first, `close()` then
    // found the connection busy and waited for the 65 s keep-alive timeout (past this test's 60 s).
    const root = await mkdtemp(join(tmpdir(), 'wharf-pump-end-'))
    try {
      for (let round = 0; round < 3; round++) {
        const adapter = await startRegistry(createRegistry({ storage: createFsDriver({ root }) }))
        const blob = new Uint8Array(3 * 1024 * 1024 + round).map((_, i) => (i * 7 + round) % 251)
        const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
        const pushed = await fetch(`${adapter.url}/v2/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } })
        expect(pushed.status).toBe(201)
        const pulled = await fetch(`${adapter.url}/v2/app/blobs/${digest}`)
        expect(Buffer.from(await pulled.arrayBuffer()).equals(Buffer.from(blob))).toBe(true)
        await adapter.close()
      }
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
