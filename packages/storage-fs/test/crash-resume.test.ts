/**
 * Prompt recovery of an upload whose writing request died (issue 10): registry processes on one
 * filesystem root, a request cut mid-body by SIGKILL or by the client, and a resume that must work
 * at once with the default 30 s upload lease (see packages/core/src/uploads/upload-lease.ts).
 * Nothing here waits for a lease to expire; every wait is for an observable event.
 */
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { storageKeys } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { uploadClient, type ChildRegistry } from '@wharf/testing'
import { bundleRegistryForChildren, startFsRegistry, type RegistryBundle } from './helpers/registry-children.js'

const KiB = 1024
const MiB = 1024 * KiB
/** More than the fs driver's 1 MiB write batch, so the cut request has bytes on disk. */
const CUT_BYTES = MiB + 512 * KiB
const TIMEOUT = 180_000

let bundle: RegistryBundle
const roots: string[] = []
const children: ChildRegistry[] = []

beforeAll(async () => {
  bundle = await bundleRegistryForChildren()
}, TIMEOUT)
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop('SIGKILL')))
}, TIMEOUT)
afterAll(async () => {
  await bundle?.cleanup()
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
}, TIMEOUT)

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'wharf-crash-resume-'))
  roots.push(root)
  return root
}

async function startRegistry(root: string): Promise<ChildRegistry> {
  const child = await startFsRegistry(bundle, root)
  children.push(child)
  return child
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const sessionId = (path: string) => new URL(path, 'http://x').pathname.split('/').pop()!
const { finishUpload, openUpload, patchChunk, readBlob, uploadStatus } = uploadClient

/** A request whose body the test sends piece by piece (chunked encoding) on its own connection. */
interface StreamingRequest {
  send(bytes: Uint8Array): void
  end(): void
  /** Closes the connection mid-body, as a client that crashed or lost its network would. */
  abort(): void
  /** The answer; rejects when the connection dies first. */
  response: Promise<{ status: number; range: string | undefined; body: string }>
}

function startStreamingRequest(base: string, method: 'PATCH' | 'PUT', path: string): StreamingRequest {
  const req = request(new URL(path, base), { method, agent: false, headers: { 'Content-Type': 'application/octet-stream' } })
  const response = new Promise<{ status: number; range: string | undefined; body: string }>((resolve, reject) => {
    req.on('error', reject)
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (text: string) => (body += text))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode!, range: res.headers.range, body }))
    })
  })
  // Whoever cuts the request does not care how it failed.
  response.catch(() => undefined)
  req.flushHeaders()
  return { send: (bytes) => void req.write(bytes), end: () => void req.end(), abort: () => void req.destroy(), response }
}

/**
 * Resolves once a request is writing to session `id` of the store at `root`: the session record
 * holds a lease, and the staged file has more than the `acknowledged` bytes on disk.
 */
async function untilWriting(root: string, id: string, acknowledged: number): Promise<void> {
  const driver = createFsDriver({ root })
  for (;;) {
    const record = JSON.parse(Buffer.from((await driver.get(storageKeys.upload(id))).body).toString('utf8')) as {
      lease?: unknown
      write: { tempPath: string }
    }
    const staged = await stat(join(root, record.write.tempPath)).then((s) => s.size, () => 0)
    if (record.lease !== undefined && staged > acknowledged) return
    // Polling the disk is how the test observes the other process; the interval only paces it.
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('resuming an upload whose writing request died', () => {
  it.each([['PATCH'], ['PUT']] as const)(
    'resumes at once, on a restarted process, an upload whose %s was cut by SIGKILL mid-body',
    async (method) => {
      // Invariant: the lease of a process that no longer exists never blocks. After kill -9 mid-body
      // and a restart on the same host, the very first status, PATCH and PUT succeed (the lease is
      // 30 s and nothing waits), and the blob is the acknowledged bytes plus the resumed ones: none
      // of the bytes the killed request had staged count.
      const root = await newRoot()
      const blob = randomBytes(256 * KiB + 3 * MiB + 17)
      const digest = sha256(blob)
      const acknowledged = 256 * KiB
      const victim = await startRegistry(root)
      const session = await openUpload(victim.url, 'crash/resume')
      expect(await patchChunk(victim.url, session, blob.subarray(0, acknowledged), 0)).toBe(`0-${acknowledged - 1}`)

      const cutPath = method === 'PUT' ? `${session.path}${session.path.includes('?') ? '&' : '?'}digest=${digest}` : session.path
      const cut = startStreamingRequest(victim.url, method, cutPath)
      // Other bytes than the blob's: a resume that kept any of them would be caught below.
      cut.send(randomBytes(CUT_BYTES))
      await untilWriting(root, sessionId(session.path), acknowledged)
      await victim.stop('SIGKILL')
      await expect(cut.response).rejects.toThrow()

      const restarted = await startRegistry(root)
      expect(await uploadStatus(restarted.url, session)).toBe(`0-${acknowledged - 1}`)
      expect(await patchChunk(restarted.url, session, blob.subarray(acknowledged), acknowledged)).toBe(`0-${blob.length - 1}`)
      expect(await finishUpload(restarted.url, session, digest)).toBe(digest)
      const served = await readBlob(restarted.url, 'crash/resume', digest)
      expect(served.bytes.equals(blob)).toBe(true)
    },
    TIMEOUT,
  )

  it(
    'lets the same process take an upload over at once from a request whose client disconnected mid-body',
    async () => {
      // Invariant: a lease whose request is dead (its client closed the connection mid-body) does
      // not block the next request on the same process: the immediate resume PATCH and PUT succeed,
      // and none of the cut-off bytes count.
      const root = await newRoot()
      const blob = randomBytes(100 * KiB + 2 * MiB + 5)
      const digest = sha256(blob)
      const acknowledged = 100 * KiB
      const registry = await startRegistry(root)
      const session = await openUpload(registry.url, 'crash/disconnect')
      await patchChunk(registry.url, session, blob.subarray(0, acknowledged), 0)

      const cut = startStreamingRequest(registry.url, 'PATCH', session.path)
      cut.send(randomBytes(CUT_BYTES))
      await untilWriting(root, sessionId(session.path), acknowledged)
      cut.abort()
      await expect(cut.response).rejects.toThrow()

      expect(await patchChunk(registry.url, session, blob.subarray(acknowledged), acknowledged)).toBe(`0-${blob.length - 1}`)
      expect(await finishUpload(registry.url, session, digest)).toBe(digest)
      expect((await readBlob(registry.url, 'crash/disconnect', digest)).bytes.equals(blob)).toBe(true)
    },
    TIMEOUT,
  )

  it(
    'still refuses a second writer while a live request streams, in another process and in the same one',
    async () => {
      // Invariant: two live writers never interleave. While a request streams into a session, a
      // PATCH through another live process on the same host, and one through the writer's own
      // process, both get 416 "another request is writing to this upload"; the streaming request
      // then completes and the blob is exactly its bytes.
      const root = await newRoot()
      const blob = randomBytes(CUT_BYTES + MiB + 3)
      const digest = sha256(blob)
      const [writer, other] = await Promise.all([startRegistry(root), startRegistry(root)])
      const session = await openUpload(writer.url, 'crash/exclusive')

      const streaming = startStreamingRequest(writer.url, 'PATCH', session.path)
      streaming.send(blob.subarray(0, CUT_BYTES))
      await untilWriting(root, sessionId(session.path), 0)
      for (const base of [other.url, writer.url]) {
        const second = await fetch(`${base}${session.path}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-99' },
          body: randomBytes(100),
        })
        expect(second.status).toBe(416)
        expect(await second.text()).toContain('another request is writing to this upload')
      }
      streaming.send(blob.subarray(CUT_BYTES))
      streaming.end()
      const answer = await streaming.response
      expect(answer.status).toBe(202)
      expect(answer.range).toBe(`0-${blob.length - 1}`)
      expect(await finishUpload(other.url, session, digest)).toBe(digest)
      expect((await readBlob(other.url, 'crash/exclusive', digest)).bytes.equals(blob)).toBe(true)
    },
    TIMEOUT,
  )
})
