import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFsDriver } from '@wharf/storage-fs'
import { migrateRegistry2 } from '@wharf/core'
import { startFromYaml, type TestServer } from '../helpers/in-process.js'
import { hasReferenceRegistry, hasSkopeo, startReferenceRegistry, type ReferenceRegistry } from '../../../../test-support/registry2/reference-registry2.js'
import { OciLayout, getManifest, pushArtifact, skopeo } from '../../../../test-support/registry2/registry2-content.js'

/**
 * registry:2 (Debian's docker-registry 2.8) fills a filesystem root with real pushes; wharf then
 * serves that root in place, migrates it (twice: the second run writes nothing) and takes new pushes.
 */
describe.skipIf(!hasReferenceRegistry || !hasSkopeo)('taking over a registry:2 filesystem root', () => {
  let dir: string
  let root: string
  let reference: ReferenceRegistry
  let wharf: TestServer | undefined
  const wharfYaml = () => `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\n`
  const pushed: Record<string, string> = {}
  let deletedDigest = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-takeover-'))
    root = join(dir, 'data')
    reference = await startReferenceRegistry(dir, `  filesystem:\n    rootdirectory: ${root}`)
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
    // skopeo compressed the layer on the way: the subject is the manifest as registry:2 holds it.
    const subject = await getManifest(reference.url, 'apps/oci', 'v1')
    pushed['sig'] = await pushArtifact(reference.url, 'apps/oci', { digest: subject.digest!, size: Buffer.byteLength(subject.bytes), mediaType: subject.type! }, 'sig')
    // A tag deleted, a manifest deleted, an upload left half done — all by registry:2 itself.
    // registry:2.8 has no tag DELETE (it answers 400 UNSUPPORTED); its tag delete (3.x) removes the tag's directory.
    expect((await fetch(`${reference.url}/v2/apps/schema2/manifests/old`, { method: 'DELETE' })).status).toBe(400)
    await rm(join(root, 'docker/registry/v2/repositories/apps/schema2/_manifests/tags/old'), { recursive: true })
    deletedDigest = (await getManifest(reference.url, 'apps/gone', 'v1')).digest!
    expect((await fetch(`${reference.url}/v2/apps/gone/manifests/${deletedDigest}`, { method: 'DELETE' })).status).toBe(202)
    const upload = await fetch(`${reference.url}/v2/apps/oci/blobs/uploads/`, { method: 'POST' })
    const patched = await fetch(new URL(upload.headers.get('location')!, reference.url), { method: 'PATCH', body: 'half', headers: { 'content-type': 'application/octet-stream' } })
    expect(patched.status).toBe(202)
    for (const [repo, tag] of [['apps/oci', 'v1'], ['apps/schema2', 'v1'], ['apps/multi', 'v1']] as const) {
      pushed[`${repo}:${tag}`] = (await getManifest(reference.url, repo, tag)).digest!
    }
  }, 120_000)

  afterAll(async () => {
    await wharf?.close()
    await reference?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** What a client sees of everything registry:2 holds: catalog, tags, manifests by tag and digest. */
  async function snapshot(url: string) {
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

  it('serves every repository, tag and manifest exactly as registry:2 does, before any migration', async () => {
    const expected = await snapshot(reference.url)
    wharf = await startFromYaml(wharfYaml())
    expect(await snapshot(wharf.url)).toEqual(expected)
    expect(wharf.logs.find('registry:2 data found')).toHaveLength(1)
    expect((await getManifest(wharf.url, 'apps/gone', deletedDigest)).status).toBe(404)
    expect((await getManifest(wharf.url, 'apps/schema2', 'old')).status).toBe(404)
    // Paging merges in order: one repository per page, every one exactly once.
    const paged: string[] = []
    let next: string | null = `/v2/_catalog?n=1`
    while (next) {
      const r: Response = await fetch(new URL(next, wharf.url))
      paged.push(...((await r.json()) as { repositories: string[] }).repositories)
      next = r.headers.get('link')?.match(/<([^>]+)>/)?.[1] ?? null
    }
    expect(paged).toEqual(expected['catalog'])
  })

  it('lets skopeo copy every image back, with the same digests and no blob bytes copied', async () => {
    const out = join(dir, 'out')
    for (const [ref, digest] of Object.entries(pushed).filter(([k]) => k.includes(':'))) {
      await skopeo('copy', '--all', `docker://${new URL(wharf!.url).host}/${ref}`, `oci:${out}:${ref.replace(/[/:]/g, '-')}`)
      const inspected = await skopeo('inspect', '--raw', `docker://${new URL(wharf!.url).host}/${ref}`)
      expect(`sha256:${(await import('node:crypto')).createHash('sha256').update(inspected).digest('hex')}`).toBe(digest)
    }
    expect(await readdir(root)).not.toContain('data')
  })

  it('hides a registry:2 tag deleted through wharf, leaving registry:2 files untouched', async () => {
    expect((await fetch(`${wharf!.url}/v2/apps/oci/manifests/keep`, { method: 'DELETE' })).status).toBe(202)
    expect((await getManifest(wharf!.url, 'apps/oci', 'keep')).status).toBe(404)
    expect((await stat(join(root, 'docker/registry/v2/repositories/apps/oci/_manifests/tags/keep/current/link'))).isFile()).toBe(true)
    const tags = (await (await fetch(`${wharf!.url}/v2/apps/oci/tags/list`)).json()) as { tags: string[] }
    expect(tags.tags).not.toContain('keep')
  })

  it('migrates metadata (a second run writes nothing), then serves the same without the fallback', async () => {
    const before = await snapshot(wharf!.url)
    const storage = createFsDriver({ root })
    const first = await migrateRegistry2({ storage })
    expect(first).toMatchObject({ repositories: 4, skipped: 0 })
    expect(first.written).toBeGreaterThan(0)
    expect(first.uploadsLeft).toBe(1)
    const second = await migrateRegistry2({ storage })
    expect(second.written).toBe(0)
    await wharf!.close()
    wharf = await startFromYaml(wharfYaml())
    expect((await wharf.running.registry.registry2Status()).fallback).toBe(false)
    expect(await snapshot(wharf.url)).toEqual(before)
    const referrers = (await (await fetch(`${wharf.url}/v2/apps/oci/referrers/${pushed['apps/oci:v1']}`)).json()) as { manifests: { digest: string }[] }
    expect(referrers.manifests.map((m) => m.digest)).toEqual([pushed['sig']])
  })

  it('takes new pushes after migration; a blob registry:2 already holds is not stored again', async () => {
    const host = new URL(wharf!.url).host
    await skopeo('copy', `docker://${host}/apps/oci:v1`, `docker://${host}/fresh/copy:v1`)
    const layout = new OciLayout(join(dir, 'layout2'))
    await layout.tag('new', await layout.image('amd64'))
    await skopeo('copy', `oci:${layout.dir}:new`, `docker://${host}/apps/oci:new`)
    expect((await getManifest(wharf!.url, 'fresh/copy', 'v1')).digest).toBe(pushed['apps/oci:v1'])
    expect((await getManifest(wharf!.url, 'apps/oci', 'new')).status).toBe(200)
    // Re-uploading registry:2's bytes through another repository (no mount) keeps one copy.
    const layers = await readdir(join(root, 'data')).catch(() => [] as string[])
    expect(layers.length).toBe(2) // only the new image's layer and config
  })
})
