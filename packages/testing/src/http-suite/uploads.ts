import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { errorCode, makeBlob, repoName, sha256, type RegistryClient } from './client.js'

/** Upload sessions: POST, chunked and streamed PATCH, PUT, status, cancel, and every error path. */
export function uploadTests(client: () => RegistryClient): void {
  async function start(repo: string): Promise<string> {
    const res = await client().fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' })
    expect(res.status).toBe(202)
    expect(res.headers.get('range')).toBe('0-0')
    expect(res.headers.get('content-length')).toBe('0')
    const location = res.headers.get('location')!
    expect(location).toContain(`/v2/${repo}/blobs/uploads/${res.headers.get('docker-upload-uuid')}`)
    return new URL(location, 'http://registry.test').pathname
  }

  const patch = (path: string, bytes: Uint8Array, range?: string) =>
    client().fetch(path, {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/octet-stream',
        ...(range ? { 'Content-Range': range, 'Content-Length': String(bytes.length) } : {}),
      },
      body: bytes,
    })

  describe('upload sessions', () => {
    it('uploads in ordered chunks with Content-Range, reporting the Range after each', async () => {
      const repo = repoName()
      const blob = makeBlob(30_000)
      const path = await start(repo)
      const first = await patch(path, blob.bytes.subarray(0, 10_000), '0-9999')
      expect(first.status).toBe(202)
      expect(first.headers.get('range')).toBe('0-9999')
      const second = await patch(path, blob.bytes.subarray(10_000, 20_000), '10000-19999')
      expect(second.headers.get('range')).toBe('0-19999')
      const status = await client().fetch(path)
      expect(status.status).toBe(204)
      expect(status.headers.get('range')).toBe('0-19999')
      expect(status.headers.get('docker-upload-uuid')).toBeTruthy()
      const put = await client().fetch(`${path}?digest=${blob.digest}`, {
        method: 'PUT',
        headers: { 'Content-Range': '20000-29999', 'Content-Length': '10000', 'Content-Type': 'application/octet-stream' },
        body: blob.bytes.subarray(20_000),
      })
      expect(put.status).toBe(201)
      expect(put.headers.get('docker-content-digest')).toBe(blob.digest)
      expect(put.headers.get('location')).toContain(`/v2/${repo}/blobs/${blob.digest}`)
      const get = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`)
      expect(Buffer.from(await get.arrayBuffer()).equals(blob.bytes)).toBe(true)
    })

    it('accepts a streamed PATCH without Content-Range and a PUT without a body (docker flow)', async () => {
      const repo = repoName()
      const blob = makeBlob(200_000)
      const path = await start(repo)
      const res = await client().fetch(path, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < blob.bytes.length; at += 32_768) controller.enqueue(blob.bytes.subarray(at, at + 32_768))
            controller.close()
          },
        }),
        duplex: 'half',
      } as RequestInit)
      expect(res.status).toBe(202)
      expect(res.headers.get('range')).toBe('0-199999')
      const put = await client().fetch(`${path}?digest=${blob.digest}`, { method: 'PUT' })
      expect(put.status).toBe(201)
      const head = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe('200000')
    })

    it('answers an out-of-order or repeated chunk with 416 and the current Range', async () => {
      const path = await start(repoName())
      await patch(path, randomBytes(100), '0-99')
      const gap = await patch(path, randomBytes(100), '200-299')
      expect(gap.status).toBe(416)
      expect(gap.headers.get('range')).toBe('0-99')
      const repeat = await patch(path, randomBytes(100), '0-99')
      expect(repeat.status).toBe(416)
      expect(repeat.headers.get('range')).toBe('0-99')
      expect((await client().fetch(path)).headers.get('range')).toBe('0-99')
    })

    it('refuses a chunk whose length does not match its Content-Range, keeping the session', async () => {
      const path = await start(repoName())
      const res = await client().fetch(path, {
        method: 'PATCH',
        headers: { 'Content-Range': '0-99', 'Content-Length': '50', 'Content-Type': 'application/octet-stream' },
        body: randomBytes(50),
      })
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('SIZE_INVALID')
      expect((await client().fetch(path)).status).toBe(204)
    })

    it('refuses a malformed Content-Range with 400 BLOB_UPLOAD_INVALID', async () => {
      const path = await start(repoName())
      const res = await client().fetch(path, {
        method: 'PATCH',
        headers: { 'Content-Range': 'bytes=a-b', 'Content-Type': 'application/octet-stream' },
        body: randomBytes(5),
      })
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('BLOB_UPLOAD_INVALID')
    })

    it('answers a PUT whose digest does not match with 400 DIGEST_INVALID and keeps nothing', async () => {
      const repo = repoName()
      const blob = makeBlob(1000)
      const wrong = makeBlob(1000).digest
      const path = await start(repo)
      await patch(path, blob.bytes, '0-999')
      const put = await client().fetch(`${path}?digest=${wrong}`, { method: 'PUT' })
      expect(put.status).toBe(400)
      expect(await errorCode(put)).toBe('DIGEST_INVALID')
      expect((await client().fetch(`/v2/${repo}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404)
      expect((await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(404)
      const after = await client().fetch(path)
      expect(after.status).toBe(404)
    })

    it('answers a PUT without or with a malformed digest with 400 DIGEST_INVALID', async () => {
      const path = await start(repoName())
      const none = await client().fetch(path, { method: 'PUT' })
      expect(none.status).toBe(400)
      expect(await errorCode(none)).toBe('DIGEST_INVALID')
      const bad = await client().fetch(`${path}?digest=sha256:zzz`, { method: 'PUT' })
      expect(bad.status).toBe(400)
      expect(await errorCode(bad)).toBe('DIGEST_INVALID')
    })

    it('cancels a session with DELETE (204), after which it is unknown', async () => {
      const path = await start(repoName())
      await patch(path, randomBytes(10), '0-9')
      expect((await client().fetch(path, { method: 'DELETE' })).status).toBe(204)
      const after = await client().fetch(path)
      expect(after.status).toBe(404)
      expect(await errorCode(after)).toBe('BLOB_UPLOAD_UNKNOWN')
      const patchAfter = await patch(path, randomBytes(10), '10-19')
      expect(patchAfter.status).toBe(404)
    })

    it('answers unknown, malformed and other-repository session ids with 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = repoName()
      const path = await start(repo)
      const id = path.split('/').pop()!
      for (const target of [
        `/v2/${repo}/blobs/uploads/00000000-0000-4000-8000-000000000000`,
        `/v2/${repo}/blobs/uploads/not-a-uuid`,
        `/v2/${repoName()}/blobs/uploads/${id}`,
      ]) {
        const res = await client().fetch(target)
        expect(res.status).toBe(404)
        expect(await errorCode(res)).toBe('BLOB_UPLOAD_UNKNOWN')
      }
    })

    it('pushes a monolithic blob in one POST and refuses one with the wrong digest', async () => {
      const repo = repoName()
      const blob = makeBlob(5000)
      const res = await client().fetch(`/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '5000' },
        body: blob.bytes,
      })
      expect(res.status).toBe(201)
      expect(res.headers.get('docker-content-digest')).toBe(blob.digest)
      const wrong = await client().fetch(`/v2/${repo}/blobs/uploads/?digest=${sha256('other')}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: randomBytes(10),
      })
      expect(wrong.status).toBe(400)
      expect(await errorCode(wrong)).toBe('DIGEST_INVALID')
      expect((await client().fetch(`/v2/${repo}/blobs/${sha256('other')}`, { method: 'HEAD' })).status).toBe(404)
    })

    it('pushes the empty blob', async () => {
      const repo = repoName()
      const digest = sha256('')
      const res = await client().fetch(`/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { 'Content-Length': '0' } })
      expect(res.status).toBe(201)
      const get = await client().fetch(`/v2/${repo}/blobs/${digest}`)
      expect(get.status).toBe(200)
      expect((await get.arrayBuffer()).byteLength).toBe(0)
    })

    it('accepts sha512 uploads, chunked and monolithic', async () => {
      const repo = repoName()
      const bytes = randomBytes(3000)
      const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`
      const path = await start(repo)
      await patch(path, bytes.subarray(0, 1000), '0-999')
      const put = await client().fetch(`${path}?digest=${digest}`, {
        method: 'PUT',
        headers: { 'Content-Range': '1000-2999', 'Content-Length': '2000', 'Content-Type': 'application/octet-stream' },
        body: bytes.subarray(1000),
      })
      expect(put.status).toBe(201)
      const get = await client().fetch(`/v2/${repo}/blobs/${digest}`)
      expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true)
      const mono = randomBytes(10)
      const monoDigest = `sha512:${createHash('sha512').update(mono).digest('hex')}`
      const res = await client().fetch(`/v2/${repo}/blobs/uploads/?digest=${monoDigest}`, { method: 'POST', body: mono })
      expect(res.status).toBe(201)
    })
  })
}
