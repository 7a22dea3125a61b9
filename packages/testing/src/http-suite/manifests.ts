import { describe, expect, it } from 'vitest'
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  errorCode,
  makeBlob,
  makeImage,
  putManifest,
  repoName,
  sha256,
  type RegistryClient,
} from './client.js'

/** Manifest push, pull, validation and deletion, for OCI and Docker schema 2 types. */
export function manifestTests(client: () => RegistryClient): void {
  describe('manifests', () => {
    it('stores a manifest byte-for-byte and serves it by tag and by digest', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      const put = await putManifest(client(), repo, 'v1', image.bytes, OCI_MANIFEST)
      expect(put.status).toBe(201)
      expect(put.headers.get('docker-content-digest')).toBe(image.digest)
      expect(put.headers.get('location')).toContain(`/v2/${repo}/manifests/${image.digest}`)
      for (const ref of ['v1', image.digest]) {
        const get = await client().fetch(`/v2/${repo}/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } })
        expect(get.status).toBe(200)
        expect(get.headers.get('content-type')).toBe(OCI_MANIFEST)
        expect(get.headers.get('docker-content-digest')).toBe(image.digest)
        expect(Buffer.from(await get.arrayBuffer()).equals(image.bytes)).toBe(true)
        const head = await client().fetch(`/v2/${repo}/manifests/${ref}`, { method: 'HEAD' })
        expect(head.status).toBe(200)
        expect(head.headers.get('content-length')).toBe(String(image.bytes.length))
        expect(head.headers.get('docker-content-digest')).toBe(image.digest)
      }
    })

    it('accepts Docker schema 2 manifests and manifest lists, and OCI indexes', async () => {
      const repo = repoName()
      const docker = await makeImage(client(), repo, {}, {
        manifest: DOCKER_MANIFEST,
        config: 'application/vnd.docker.container.image.v1+json',
        layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      })
      expect((await putManifest(client(), repo, docker.digest, docker.bytes, DOCKER_MANIFEST)).status).toBe(201)
      const list = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: DOCKER_LIST,
          manifests: [{ mediaType: DOCKER_MANIFEST, digest: docker.digest, size: docker.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }],
        }),
      )
      const listPut = await putManifest(client(), repo, 'multi', list, DOCKER_LIST)
      expect(listPut.status).toBe(201)
      const get = await client().fetch(`/v2/${repo}/manifests/multi`)
      expect(get.headers.get('content-type')).toBe(DOCKER_LIST)
      const oci = await makeImage(client(), repo)
      await putManifest(client(), repo, oci.digest, oci.bytes, OCI_MANIFEST)
      const index = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: oci.digest, size: oci.bytes.length }] }),
      )
      expect((await putManifest(client(), repo, 'oci-index', index, OCI_INDEX)).status).toBe(201)
    })

    it('refuses a manifest that references a missing blob with MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = repoName()
      const missing = makeBlob(10).digest
      const image = await makeImage(client(), repo, { layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: missing, size: 10 }] })
      const res = await putManifest(client(), repo, 'latest', image.bytes, OCI_MANIFEST)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN')
      expect((await client().fetch(`/v2/${repo}/manifests/latest`)).status).toBe(404)
    })

    it('refuses an index whose children are not in the repository', async () => {
      const repo = repoName()
      const child = sha256('not pushed')
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child, size: 10 }] }))
      const res = await putManifest(client(), repo, 'x', index, OCI_INDEX)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN')
    })

    it.each([
      ['not JSON', '{nope', OCI_MANIFEST],
      ['schema 1', JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+json'],
      ['schemaVersion 3', JSON.stringify({ schemaVersion: 3, mediaType: OCI_MANIFEST }), OCI_MANIFEST],
      ['a body type other than the Content-Type', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), OCI_MANIFEST],
      ['a bad descriptor digest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: 'sha256:12', size: 1 }, layers: [] }), OCI_MANIFEST],
      ['a negative size', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: sha256('a'), size: -1 }, layers: [] }), OCI_MANIFEST],
      ['no layers array', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: sha256('a'), size: 1 } }), OCI_MANIFEST],
      ['a JSON array', '[]', OCI_MANIFEST],
    ])('refuses a manifest with %s as MANIFEST_INVALID', async (_what, body, type) => {
      const res = await putManifest(client(), repoName(), 'bad', Buffer.from(body), type)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('MANIFEST_INVALID')
    })

    it('refuses a manifest larger than 4 MiB with 413', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20)
      const res = await putManifest(client(), repoName(), 'big', big, OCI_MANIFEST)
      expect(res.status).toBe(413)
      expect(await errorCode(res)).toBe('SIZE_INVALID')
    })

    it('refuses a PUT by digest whose body has another digest with 400 DIGEST_INVALID', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      const res = await putManifest(client(), repo, sha256('something else'), image.bytes, OCI_MANIFEST)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('DIGEST_INVALID')
    })

    it('refuses an invalid tag on PUT with 400 MANIFEST_INVALID and treats one on GET as unknown', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      const res = await putManifest(client(), repo, '-bad-tag', image.bytes, OCI_MANIFEST)
      expect(res.status).toBe(400)
      expect(await errorCode(res)).toBe('MANIFEST_INVALID')
      const get = await client().fetch(`/v2/${repo}/manifests/${'t'.repeat(129)}`)
      expect(get.status).toBe(404)
      expect(await errorCode(get)).toBe('MANIFEST_UNKNOWN')
    })

    it('answers an unknown manifest with 404 MANIFEST_UNKNOWN and a malformed digest with 400', async () => {
      const repo = repoName()
      const res = await client().fetch(`/v2/${repo}/manifests/nope`)
      expect(res.status).toBe(404)
      expect(await errorCode(res)).toBe('MANIFEST_UNKNOWN')
      const bad = await client().fetch(`/v2/${repo}/manifests/sha256:xyz`)
      expect(bad.status).toBe(400)
      expect(await errorCode(bad)).toBe('DIGEST_INVALID')
    })

    it('tags one push several times with ?tag= on a PUT by digest', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      const res = await client().fetch(`/v2/${repo}/manifests/${image.digest}?tag=a&tag=b`, {
        method: 'PUT',
        headers: { 'Content-Type': OCI_MANIFEST },
        body: image.bytes,
      })
      expect(res.status).toBe(201)
      for (const tag of ['a', 'b']) {
        const head = await client().fetch(`/v2/${repo}/manifests/${tag}`, { method: 'HEAD' })
        expect(head.headers.get('docker-content-digest')).toBe(image.digest)
      }
    })

    it('moves a tag to a new manifest when it is pushed again', async () => {
      const repo = repoName()
      const one = await makeImage(client(), repo)
      const two = await makeImage(client(), repo)
      await putManifest(client(), repo, 'latest', one.bytes, OCI_MANIFEST)
      await putManifest(client(), repo, 'latest', two.bytes, OCI_MANIFEST)
      const head = await client().fetch(`/v2/${repo}/manifests/latest`, { method: 'HEAD' })
      expect(head.headers.get('docker-content-digest')).toBe(two.digest)
    })

    it('deletes by tag (202, only the tag) and by digest (202, the manifest and its tags)', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      await putManifest(client(), repo, 'one', image.bytes, OCI_MANIFEST)
      await putManifest(client(), repo, 'two', image.bytes, OCI_MANIFEST)
      expect((await client().fetch(`/v2/${repo}/manifests/one`, { method: 'DELETE' })).status).toBe(202)
      expect((await client().fetch(`/v2/${repo}/manifests/one`)).status).toBe(404)
      expect((await client().fetch(`/v2/${repo}/manifests/${image.digest}`)).status).toBe(200)
      expect((await client().fetch(`/v2/${repo}/manifests/${image.digest}`, { method: 'DELETE' })).status).toBe(202)
      expect((await client().fetch(`/v2/${repo}/manifests/${image.digest}`)).status).toBe(404)
      expect((await client().fetch(`/v2/${repo}/manifests/two`)).status).toBe(404)
      const tags = (await (await client().fetch(`/v2/${repo}/tags/list`)).json()) as { tags: string[] }
      expect(tags.tags).toEqual([])
      const again = await client().fetch(`/v2/${repo}/manifests/${image.digest}`, { method: 'DELETE' })
      expect(again.status).toBe(404)
      expect(await errorCode(again)).toBe('MANIFEST_UNKNOWN')
    })
  })
}

/** With deletion switched off, every delete answers 405 UNSUPPORTED and nothing is removed. */
export function deletionDisabledTests(client: () => RegistryClient): void {
  describe('deletion switched off', () => {
    it('answers manifest, tag and blob deletes with 405 UNSUPPORTED', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      await putManifest(client(), repo, 'keep', image.bytes, OCI_MANIFEST)
      const layer = (JSON.parse(image.bytes.toString()) as { layers: Array<{ digest: string }> }).layers[0]!.digest
      for (const path of [`/v2/${repo}/manifests/keep`, `/v2/${repo}/manifests/${image.digest}`, `/v2/${repo}/blobs/${layer}`]) {
        const res = await client().fetch(path, { method: 'DELETE' })
        expect(res.status).toBe(405)
        expect(await errorCode(res)).toBe('UNSUPPORTED')
      }
      expect((await client().fetch(`/v2/${repo}/manifests/keep`)).status).toBe(200)
    })
  })
}
