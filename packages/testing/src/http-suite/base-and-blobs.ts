import { describe, expect, it } from 'vitest'
import { errorCode, makeBlob, pushBlob, repoName, type RegistryClient } from './client.js'

/** /v2/, routing, name and digest validation, blob reads, ranges, repository scoping, mount, delete. */
export function blobTests(client: () => RegistryClient): void {
  describe('base and routing', () => {
    it('answers GET /v2/ with 200 and the API version header', async () => {
      const res = await client().fetch('/v2/')
      expect(res.status).toBe(200)
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
      expect(await res.json()).toEqual({})
    })

    it('answers unknown routes with 404 and wrong methods with 405 UNSUPPORTED', async () => {
      expect((await client().fetch('/v2/foo/bar/baz')).status).toBe(404)
      const res = await client().fetch('/v2/foo/tags/list', { method: 'POST' })
      expect(res.status).toBe(405)
      expect(await errorCode(res)).toBe('UNSUPPORTED')
    })

    it.each([
      'UPPER/case',
      'a//b',
      '-leading',
      'trailing-',
      'a__-b',
      '_layers',
      'x/_manifests',
      'a%2fb',
      'x'.repeat(256),
    ])('refuses the repository name %j with 400 NAME_INVALID', async (name) => {
      const res = await client().fetch(`/v2/${name}/tags/list`)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('NAME_INVALID')
    })

    it.each(['a/../b', '..', 'a/./b', '%2e%2e/x', 'a/%2e%2e/b'])(
      'never lets the dot-segment name %j reach storage (400 or 404, never 5xx)',
      async (name) => {
        const res = await client().fetch(`/v2/${name}/blobs/sha256:${'a'.repeat(64)}`)
        expect([400, 404]).toContain(res.status)
      },
    )

    it.each(['sha256:abc', 'sha256:' + 'g'.repeat(64), 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64), 'sha512:' + 'a'.repeat(64)])(
      'refuses the blob digest %j with 400 DIGEST_INVALID',
      async (digest) => {
        const res = await client().fetch(`/v2/${repoName()}/blobs/${digest}`)
        expect(res.status).toBe(400)
        expect(await errorCode(res)).toBe('DIGEST_INVALID')
      },
    )
  })

  describe('blob reads', () => {
    it('serves a pushed blob with its digest, length and bytes; HEAD carries no body', async () => {
      const repo = repoName()
      const blob = makeBlob(100_000)
      await pushBlob(client(), repo, blob.bytes)
      const head = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe('100000')
      expect(head.headers.get('docker-content-digest')).toBe(blob.digest)
      expect((await head.arrayBuffer()).byteLength).toBe(0)
      const get = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`)
      expect(get.status).toBe(200)
      expect(get.headers.get('content-type')).toBe('application/octet-stream')
      expect(Buffer.from(await get.arrayBuffer()).equals(blob.bytes)).toBe(true)
    })

    it('answers an unknown blob with 404 BLOB_UNKNOWN (and HEAD with a bare 404)', async () => {
      const { digest } = makeBlob(10)
      const res = await client().fetch(`/v2/${repoName()}/blobs/${digest}`)
      expect(res.status).toBe(404)
      expect(await errorCode(res)).toBe('BLOB_UNKNOWN')
      const head = await client().fetch(`/v2/${repoName()}/blobs/${digest}`, { method: 'HEAD' })
      expect(head.status).toBe(404)
    })

    it('serves byte ranges with 206 and Content-Range', async () => {
      const repo = repoName()
      const blob = makeBlob(10_000)
      await pushBlob(client(), repo, blob.bytes)
      const cases: Array<[string, number, number]> = [
        ['bytes=0-99', 0, 99],
        ['bytes=9990-', 9990, 9999],
        ['bytes=-10', 9990, 9999],
        ['bytes=5000-99999', 5000, 9999],
      ]
      for (const [range, start, end] of cases) {
        const res = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { headers: { Range: range } })
        expect(res.status).toBe(206)
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/10000`)
        expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes.subarray(start, end + 1))).toBe(true)
      }
    })

    it('answers an unsatisfiable range with 416 and ignores a malformed one', async () => {
      const repo = repoName()
      const blob = makeBlob(100)
      await pushBlob(client(), repo, blob.bytes)
      const out = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { headers: { Range: 'bytes=100-200' } })
      expect(out.status).toBe(416)
      expect(out.headers.get('content-range')).toBe('bytes */100')
      await out.arrayBuffer()
      const junk = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { headers: { Range: 'pages=1-2' } })
      expect(junk.status).toBe(200)
      expect((await junk.arrayBuffer()).byteLength).toBe(100)
    })

    it('keeps blobs scoped to the repositories they were pushed or mounted to', async () => {
      const a = repoName()
      const b = repoName()
      const blob = makeBlob(500)
      await pushBlob(client(), a, blob.bytes)
      expect((await client().fetch(`/v2/${b}/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(404)
      const mount = await client().fetch(`/v2/${b}/blobs/uploads/?mount=${blob.digest}&from=${a}`, { method: 'POST' })
      expect(mount.status).toBe(201)
      expect(mount.headers.get('location')).toContain(`/v2/${b}/blobs/${blob.digest}`)
      expect(mount.headers.get('docker-content-digest')).toBe(blob.digest)
      const get = await client().fetch(`/v2/${b}/blobs/${blob.digest}`)
      expect(Buffer.from(await get.arrayBuffer()).equals(blob.bytes)).toBe(true)
    })

    it('turns a mount of a missing blob into a new upload session (202)', async () => {
      const { digest } = makeBlob(10)
      const res = await client().fetch(`/v2/${repoName()}/blobs/uploads/?mount=${digest}&from=${repoName()}`, { method: 'POST' })
      expect(res.status).toBe(202)
      expect(res.headers.get('docker-upload-uuid')).toMatch(/^[0-9a-f-]{36}$/)
    })

    it('refuses a mount from an invalid repository name with 400 NAME_INVALID', async () => {
      const { digest } = makeBlob(10)
      const res = await client().fetch(`/v2/${repoName()}/blobs/uploads/?mount=${digest}&from=../etc`, { method: 'POST' })
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('NAME_INVALID')
    })

    it('deletes a blob from a repository (202), after which it is unknown there', async () => {
      const repo = repoName()
      const blob = makeBlob(64)
      await pushBlob(client(), repo, blob.bytes)
      const del = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'DELETE' })
      expect(del.status).toBe(202)
      expect((await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(404)
      const again = await client().fetch(`/v2/${repo}/blobs/${blob.digest}`, { method: 'DELETE' })
      expect(again.status).toBe(404)
      expect(await errorCode(again)).toBe('BLOB_UNKNOWN')
    })
  })
}
