import { describe, expect, it } from 'vitest'
import { OCI_MANIFEST, errorCode, makeImage, pushBlob, putManifest, repoName, sha256, type RegistryClient } from './client.js'

/** Tag lists, the catalog and the referrers API, with paging and filtering. */
export function listingTests(client: () => RegistryClient): void {
  describe('tags list', () => {
    it('lists tags in order and pages them with n, last and a Link header', async () => {
      const repo = repoName()
      const image = await makeImage(client(), repo)
      const tags = ['b', 'a', 'c', 'v1.0', 'latest']
      for (const tag of tags) await putManifest(client(), repo, tag, image.bytes, OCI_MANIFEST)
      const all = await client().fetch(`/v2/${repo}/tags/list`)
      expect(await all.json()).toEqual({ name: repo, tags: [...tags].sort() })
      const first = await client().fetch(`/v2/${repo}/tags/list?n=2`)
      expect(((await first.json()) as { tags: string[] }).tags).toEqual(['a', 'b'])
      expect(first.headers.get('link')).toBe(`</v2/${repo}/tags/list?n=2&last=b>; rel="next"`)
      const second = await client().fetch(`/v2/${repo}/tags/list?n=2&last=b`)
      expect(((await second.json()) as { tags: string[] }).tags).toEqual(['c', 'latest'])
      const last = await client().fetch(`/v2/${repo}/tags/list?n=2&last=latest`)
      expect(((await last.json()) as { tags: string[] }).tags).toEqual(['v1.0'])
      expect(last.headers.get('link')).toBeNull()
      const none = await client().fetch(`/v2/${repo}/tags/list?n=0`)
      expect(((await none.json()) as { tags: string[] }).tags).toEqual([])
    })

    it('answers an unknown repository with 404 NAME_UNKNOWN and a bad n with 400', async () => {
      const res = await client().fetch(`/v2/${repoName()}/tags/list`)
      expect(res.status).toBe(404)
      expect(await errorCode(res)).toBe('NAME_UNKNOWN')
      const repo = repoName()
      await pushBlob(client(), repo, Buffer.from('x'))
      const bad = await client().fetch(`/v2/${repo}/tags/list?n=-1`)
      expect(bad.status).toBe(400)
      expect(await errorCode(bad)).toBe('PAGINATION_NUMBER_INVALID')
    })
  })

  describe('catalog', () => {
    it('lists repositories in order, paged with n and last', async () => {
      const prefix = `cat${Date.now().toString(36)}`
      const names = [`${prefix}/b`, `${prefix}/a`, `${prefix}/a/nested`]
      for (const name of names) await pushBlob(client(), name, Buffer.from(name))
      const all = (await (await client().fetch('/v2/_catalog?n=10000')).json()) as { repositories: string[] }
      const ours = all.repositories.filter((r) => r.startsWith(prefix))
      expect(ours).toEqual([...names].sort())
      const page = await client().fetch(`/v2/_catalog?n=1&last=${prefix}/a`)
      expect(((await page.json()) as { repositories: string[] }).repositories).toEqual([`${prefix}/a/nested`])
      expect(page.headers.get('link')).toContain(`last=${encodeURIComponent(`${prefix}/a/nested`)}`)
    })
  })

  describe('referrers', () => {
    it('indexes manifests with a subject and lists them, filtered by artifactType', async () => {
      const repo = repoName()
      const subject = await makeImage(client(), repo)
      await putManifest(client(), repo, 'app', subject.bytes, OCI_MANIFEST)
      const empty = Buffer.from('{}')
      const emptyDigest = await pushBlob(client(), repo, empty)
      const artifact = (type: string, note: string) =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType: type,
            config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
            layers: [],
            subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length },
            annotations: { note },
          }),
        )
      const sbom = artifact('application/spdx+json', 'sbom')
      const sig = artifact('application/vnd.dev.cosign.signature', 'sig')
      const put = await putManifest(client(), repo, sha256(sbom), sbom, OCI_MANIFEST)
      expect(put.status).toBe(201)
      expect(put.headers.get('oci-subject')).toBe(subject.digest)
      await putManifest(client(), repo, sha256(sig), sig, OCI_MANIFEST)
      const all = await client().fetch(`/v2/${repo}/referrers/${subject.digest}`)
      expect(all.status).toBe(200)
      expect(all.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json')
      const index = (await all.json()) as { manifests: Array<{ digest: string; artifactType: string; annotations: Record<string, string> }> }
      expect(index.manifests.map((m) => m.digest).sort()).toEqual([sha256(sbom), sha256(sig)].sort())
      expect(index.manifests.find((m) => m.digest === sha256(sbom))?.annotations).toEqual({ note: 'sbom' })
      const filtered = await client().fetch(`/v2/${repo}/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`)
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType')
      const only = (await filtered.json()) as { manifests: Array<{ digest: string }> }
      expect(only.manifests.map((m) => m.digest)).toEqual([sha256(sbom)])
      await client().fetch(`/v2/${repo}/manifests/${sha256(sig)}`, { method: 'DELETE' })
      const after = (await (await client().fetch(`/v2/${repo}/referrers/${subject.digest}`)).json()) as { manifests: unknown[] }
      expect(after.manifests).toHaveLength(1)
    })

    it('answers an unknown subject with an empty index and a malformed digest with 400', async () => {
      const repo = repoName()
      const res = await client().fetch(`/v2/${repo}/referrers/${sha256('nothing')}`)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { manifests: unknown[] }).manifests).toEqual([])
      const bad = await client().fetch(`/v2/${repo}/referrers/sha256:nope`)
      expect(bad.status).toBe(400)
      expect(await errorCode(bad)).toBe('DIGEST_INVALID')
    })
  })
}
