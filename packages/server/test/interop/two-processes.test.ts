import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  finishUpload,
  openUpload,
  patchChunk,
  patchStream,
  pushMonolithic,
  readBlob,
  uploadStatus,
} from './helpers/blob-upload.js'
import { sha256Of } from './helpers/oci-layout.js'
import { ensureServerBuilt, startRegistryProcess, type RegistryProcess } from './helpers/registry-process.js'

const MiB = 1024 * 1024

/** Splits `bytes` into pieces of `size` (the last one shorter). */
function toChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size))
  return chunks
}

describe('two registry processes sharing one filesystem root', () => {
  let cli: string
  let root: string
  let a: RegistryProcess
  let b: RegistryProcess
  const started: RegistryProcess[] = []

  async function start(): Promise<RegistryProcess> {
    const instance = await startRegistryProcess(cli, root)
    started.push(instance)
    return instance
  }

  /** Both processes serve `digest` in `repository` with exactly `bytes`. */
  async function expectReadableFromBoth(repository: string, digest: string, bytes: Buffer) {
    for (const instance of [a, b]) {
      const served = await readBlob(instance.url, repository, digest)
      expect(served.digest).toBe(digest)
      expect(served.bytes.length).toBe(bytes.length)
      expect(sha256Of(served.bytes)).toBe(digest)
    }
  }

  beforeAll(async () => {
    cli = await ensureServerBuilt()
    root = await mkdtemp(join(tmpdir(), 'wharf-two-processes-'))
    a = await start()
    b = await start()
  })

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()))
    if (root) await rm(root, { recursive: true, force: true })
  })

  it.each([
    ['the first', () => a],
    ['the second', () => b],
  ])('completes a chunked upload whose PATCHes alternate between the processes, finished on %s', async (_name, finisher) => {
    const blob = randomBytes(5 * MiB + 12_345)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/chunked')
    let sent = 0
    for (const [i, chunk] of toChunks(blob, MiB).entries()) {
      const range = await patchChunk([a, b][i % 2]!.url, session, chunk, sent)
      sent += chunk.length
      expect(range).toBe(`0-${sent - 1}`)
    }
    expect(await finishUpload(finisher().url, session, digest)).toBe(digest)
    await expectReadableFromBoth('shared/chunked', digest, blob)
  })

  it('completes a docker-style upload: POST on one process, one streamed PATCH on the other, empty PUT on the first', async () => {
    const blob = randomBytes(8 * MiB + 7)
    const digest = sha256Of(blob)
    const session = await openUpload(a.url, 'shared/docker')
    expect(await patchStream(b.url, session, blob)).toBe(`0-${blob.length - 1}`)
    expect(await finishUpload(a.url, session, digest)).toBe(digest)
    await expectReadableFromBoth('shared/docker', digest, blob)
  })

  it('accepts concurrent pushes of the same blob through both processes and serves it intact', async () => {
    const blob = randomBytes(3 * MiB + 1)
    const digest = sha256Of(blob)
    const chunked = async (first: RegistryProcess, second: RegistryProcess) => {
      const session = await openUpload(first.url, 'shared/concurrent')
      const [head, tail] = [blob.subarray(0, 2 * MiB), blob.subarray(2 * MiB)]
      await patchChunk(first.url, session, head, 0)
      await patchChunk(second.url, session, tail, head.length)
      return finishUpload(second.url, session, digest)
    }
    const streamed = async (instance: RegistryProcess) => {
      const session = await openUpload(instance.url, 'shared/concurrent')
      await patchStream(instance.url, session, blob)
      return finishUpload(instance.url, session, digest)
    }
    const results = await Promise.all([
      chunked(a, b),
      chunked(b, a),
      streamed(a),
      streamed(b),
      pushMonolithic(a.url, 'shared/concurrent', digest, blob),
      pushMonolithic(b.url, 'shared/concurrent', digest, blob),
    ])
    expect(results).toEqual(results.map(() => digest))
    await expectReadableFromBoth('shared/concurrent', digest, blob)
  })

  it('lets another process finish an upload after the process that acknowledged its first chunk is killed with SIGKILL', async () => {
    const victim = await start()
    const blob = randomBytes(4 * MiB + 99)
    const digest = sha256Of(blob)
    const [first, second, last] = toChunks(blob, 2 * MiB) as [Buffer, Buffer, Buffer]
    const session = await openUpload(victim.url, 'shared/killed')
    expect(await patchChunk(victim.url, session, first, 0)).toBe(`0-${first.length - 1}`)
    await victim.stop('SIGKILL')
    await expect(fetch(`${victim.url}/v2/`)).rejects.toThrow()

    // A client resuming after the failure asks where the upload stands, then carries on elsewhere.
    expect(await uploadStatus(a.url, session)).toBe(`0-${first.length - 1}`)
    expect(await patchChunk(a.url, session, second, first.length)).toBe(`0-${first.length + second.length - 1}`)
    expect(await finishUpload(b.url, session, digest, last)).toBe(digest)
    await expectReadableFromBoth('shared/killed', digest, blob)
  })
})
