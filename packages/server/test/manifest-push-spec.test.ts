import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage } from './helpers/registry-client.js'

// Points of the newest distribution-spec (main) on manifest push, through the default server on a
// filesystem root and a real port.
let server: TestServer
let dir: { path: string; remove(): Promise<void> }
beforeAll(async () => {
  dir = await createTempDir()
  server = await startFromYaml(`storage: { filesystem: { rootdirectory: ${JSON.stringify(dir.path)} } }\n`)
})
afterAll(async () => {
  await server?.close()
  await dir?.remove()
})

const sha512 = (text: string) => `sha512:${createHash('sha512').update(text).digest('hex')}`

/** A second manifest of an image already pushed (same blobs, an annotation to change its digest). */
async function variantOf(repository: string, label: string): Promise<string> {
  const image = await pushImage(server.url, repository, `base-${label}`)
  return JSON.stringify({ ...JSON.parse(image.manifest), annotations: { label } })
}

describe('manifest PUT with ?tag=', () => {
  it('answers one OCI-Tag per tag created, and every tag resolves', async () => {
    const manifest = await variantOf('spec/oci-tag', 'a')
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
    const put = await fetch(`${server.url}/v2/spec/oci-tag/manifests/${digest}?tag=one&tag=two&tag=three`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: manifest,
    })
    expect(put.status).toBe(201)
    expect(put.headers.get('oci-tag')?.split(/,\s*/)).toEqual(['one', 'two', 'three'])
    for (const tag of ['one', 'two', 'three']) {
      const head = await fetch(`${server.url}/v2/spec/oci-tag/manifests/${tag}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
      expect(head.headers.get('docker-content-digest')).toBe(digest)
    }
  })

  it('refuses more than 100 tag parameters with 400 MANIFEST_INVALID and stores none of them', async () => {
    const manifest = await variantOf('spec/many-tags', 'b')
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
    const query = Array.from({ length: 101 }, (_, i) => `tag=t${i}`).join('&')
    const put = await fetch(`${server.url}/v2/spec/many-tags/manifests/${digest}?${query}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })
    expect(put.status).toBe(400)
    expect(((await put.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('MANIFEST_INVALID')
    expect((await fetch(`${server.url}/v2/spec/many-tags/manifests/t0`, { method: 'HEAD' })).status).toBe(404)
    expect((await fetch(`${server.url}/v2/spec/many-tags/manifests/${digest}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('keeps the sha512 digest a manifest was pushed by: PUT, and GET and HEAD by tag, say sha512', async () => {
    const manifest = await variantOf('spec/sha512', 'c')
    const digest = sha512(manifest)
    // The same bytes under the same tag by sha256 first: the sha512 push must take the tag over.
    expect((await fetch(`${server.url}/v2/spec/sha512/manifests/strong`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })).status).toBe(201)
    const put = await fetch(`${server.url}/v2/spec/sha512/manifests/${digest}?tag=strong`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })
    expect(put.status).toBe(201)
    expect(put.headers.get('docker-content-digest')).toBe(digest)
    expect(put.headers.get('location')).toBe(`/v2/spec/sha512/manifests/${digest}`)
    for (const method of ['GET', 'HEAD']) {
      for (const reference of ['strong', digest]) {
        const response = await fetch(`${server.url}/v2/spec/sha512/manifests/${reference}`, { method, headers: { Accept: OCI_MANIFEST } })
        expect([method, reference, response.status, response.headers.get('docker-content-digest')]).toEqual([method, reference, 200, digest])
        if (method === 'GET') expect(await response.text()).toBe(manifest)
      }
    }
  })
})
