import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { ReferenceRegistry } from './reference-registry2.js'
import { OciLayout, getManifest, pushArtifact, skopeo } from './registry2-content.js'

/** What {@link fillReferenceRegistry} pushed: manifest digests by `repository:tag` (and `sig`). */
export interface Registry2Content {
  /** `apps/oci:v1`, `apps/schema2:v1`, `apps/multi:v1` as registry:2 serves them, and `sig` (the artifact). */
  pushed: Record<string, string>
  /** The manifest registry:2 deleted (`apps/gone`). */
  deletedDigest: string
}

/**
 * The content every takeover test starts from, written by registry:2 itself: an OCI image, a
 * schema2 image (tags `v1` and `old`), a multi-arch index, an artifact whose subject is the OCI
 * image, and `apps/oci:keep`; then tag `old` removed with `removeTag` (registry:2.8 has no tag
 * DELETE; its 3.x tag delete removes the tag's directory, which `removeTag` does on the storage),
 * manifest `apps/gone` deleted through the API, and an upload left half done.
 */
export async function fillReferenceRegistry(reference: ReferenceRegistry, dir: string, removeTag: (path: string) => Promise<void>): Promise<Registry2Content> {
  const r = reference.host
  const layout = new OciLayout(join(dir, 'layout'))
  const oci = await layout.image('amd64')
  const schema2 = await layout.image('amd64')
  const amd = await layout.image('amd64')
  const arm = await layout.image('arm64')
  const gone = await layout.image('amd64')
  await layout.tag('oci', oci)
  await layout.tag('schema2', schema2)
  await layout.tag('multi', await layout.index([{ manifest: amd, arch: 'amd64' }, { manifest: arm, arch: 'arm64' }]))
  await layout.tag('gone', gone)
  const src = (tag: string) => `oci:${layout.dir}:${tag}`
  await skopeo('copy', src('oci'), `docker://${r}/apps/oci:v1`)
  await skopeo('copy', '--format', 'v2s2', src('schema2'), `docker://${r}/apps/schema2:v1`)
  await skopeo('copy', '--format', 'v2s2', src('schema2'), `docker://${r}/apps/schema2:old`)
  await skopeo('copy', '--all', src('multi'), `docker://${r}/apps/multi:v1`)
  await skopeo('copy', src('gone'), `docker://${r}/apps/gone:v1`)
  await skopeo('copy', src('oci'), `docker://${r}/apps/oci:keep`)
  const pushed: Record<string, string> = {}
  // skopeo compressed the layer on the way: the subject is the manifest as registry:2 holds it.
  const subject = await getManifest(reference.url, 'apps/oci', 'v1')
  pushed['sig'] = await pushArtifact(reference.url, 'apps/oci', { digest: subject.digest!, size: Buffer.byteLength(subject.bytes), mediaType: subject.type! }, 'sig')
  expect((await fetch(`${reference.url}/v2/apps/schema2/manifests/old`, { method: 'DELETE' })).status).toBe(400)
  await removeTag('docker/registry/v2/repositories/apps/schema2/_manifests/tags/old')
  const deletedDigest = (await getManifest(reference.url, 'apps/gone', 'v1')).digest!
  expect((await fetch(`${reference.url}/v2/apps/gone/manifests/${deletedDigest}`, { method: 'DELETE' })).status).toBe(202)
  const upload = await fetch(`${reference.url}/v2/apps/oci/blobs/uploads/`, { method: 'POST' })
  const patched = await fetch(new URL(upload.headers.get('location')!, reference.url), { method: 'PATCH', body: 'half', headers: { 'content-type': 'application/octet-stream' } })
  expect(patched.status).toBe(202)
  for (const [repo, tag] of [['apps/oci', 'v1'], ['apps/schema2', 'v1'], ['apps/multi', 'v1']] as const) {
    pushed[`${repo}:${tag}`] = (await getManifest(reference.url, repo, tag)).digest!
  }
  return { pushed, deletedDigest }
}

/** What a client sees of a registry: catalog, tags (sorted), manifests by tag with digest, type and bytes. */
export async function snapshotRegistry(url: string): Promise<Record<string, unknown>> {
  const catalog = (await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] }
  const view: Record<string, unknown> = { catalog: catalog.repositories }
  for (const repo of catalog.repositories) {
    const tags = (await (await fetch(`${url}/v2/${repo}/tags/list`)).json()) as { tags: string[] | null }
    // registry:2.8 lists tags in directory order, wharf in byte order: compare them sorted.
    view[`${repo} tags`] = [...(tags.tags ?? [])].sort()
    for (const tag of tags.tags ?? []) {
      const m = await getManifest(url, repo, tag)
      view[`${repo}:${tag}`] = { digest: m.digest, type: m.type, bytes: m.bytes }
    }
  }
  return view
}

/** The catalog read one repository per page, following `Link` headers. */
export async function pageCatalog(url: string): Promise<string[]> {
  const paged: string[] = []
  let next: string | null = `/v2/_catalog?n=1`
  while (next) {
    const r: Response = await fetch(new URL(next, url))
    paged.push(...((await r.json()) as { repositories: string[] }).repositories)
    next = r.headers.get('link')?.match(/<([^>]+)>/)?.[1] ?? null
  }
  return paged
}

/**
 * skopeo copies every tagged image of `content` (with `--all`) from the registry at `host` into an
 * OCI layout under `out`, and the raw manifest it inspects hashes to the digest registry:2 gave.
 */
export async function expectCopiedBack(host: string, content: Registry2Content, out: string): Promise<void> {
  for (const [ref, digest] of Object.entries(content.pushed).filter(([k]) => k.includes(':'))) {
    await skopeo('copy', '--all', `docker://${host}/${ref}`, `oci:${out}:${ref.replace(/[/:]/g, '-')}`)
    const inspected = await skopeo('inspect', '--raw', `docker://${host}/${ref}`)
    expect(`sha256:${createHash('sha256').update(inspected).digest('hex')}`).toBe(digest)
  }
}

/** The referrers API's digests for `subject` in `repository`. */
export async function referrerDigests(url: string, repository: string, subject: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v2/${repository}/referrers/${subject}`)).json()) as { manifests: { digest: string }[] }
  return body.manifests.map((m) => m.digest)
}
