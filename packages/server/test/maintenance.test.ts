import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage, sha256, waitFor } from './helpers/registry-client.js'

let dir: { path: string; remove(): Promise<void> }
let server: TestServer | undefined
beforeEach(async () => {
  dir = await createTempDir()
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await dir.remove()
})

async function openUpload(base: string, repository: string, chunk: string): Promise<string> {
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  const location = new URL(start.headers.get('location')!, base).href
  const patch = await fetch(location, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' }, body: chunk })
  expect(patch.status).toBe(202)
  return new URL(patch.headers.get('location')!, base).href
}

const purgeYaml = (root: string, dryrun: boolean, age = '300ms') => `
storage:
  filesystem: { rootdirectory: ${root} }
  maintenance:
    uploadpurging: { enabled: true, age: ${age}, interval: 100ms, dryrun: ${dryrun} }
`

describe('upload purging', () => {
  it('in a dry run only logs the idle sessions it would remove', async () => {
    server = await startFromYaml(purgeYaml(join(dir.path, 'root'), true))
    const upload = await openUpload(server.url, 'app', 'partial')
    const id = upload.split('/').pop()!.split('?')[0]!
    await waitFor(() => server!.logs.find('upload purge (dry run)').some((l) => (l['uploads'] as string[]).includes(id)), 5000, 'a dry-run line naming the session')
    const line = server.logs.find('upload purge (dry run)').find((l) => (l['uploads'] as string[]).includes(id))!
    expect(line).toMatchObject({ dryRun: true, count: 1, msg: 'upload purge (dry run): 1 idle upload session(s) would be removed' })
    expect((await fetch(upload)).status).toBe(204)
  })

  it('removes sessions idle for longer than the age, and keeps younger ones', async () => {
    // A 2 s age, the young session opened 2.2 s after the old one: the purge that takes the old
    // one runs within a tick (100 ms) of it turning 2 s old, when the young one is ~0.1 s old, so
    // only a machine stalled for ~1.8 s between two ticks could take both at once.
    server = await startFromYaml(purgeYaml(join(dir.path, 'root'), false, '2s'))
    const old = await openUpload(server.url, 'app', 'old bytes')
    await new Promise((resolve) => setTimeout(resolve, 2200))
    const young = await openUpload(server.url, 'app', 'young bytes')
    await waitFor(async () => (await fetch(old)).status === 404, 15_000, 'the old session to be purged')
    const removed = server.logs.find('upload purge: removed').filter((l) => (l['count'] as number) > 0)
    expect(removed[0]!['uploads']).toEqual([old.split('/').pop()!.split('?')[0]])
    // The young one goes too once it is old enough.
    await waitFor(async () => (await fetch(young)).status === 404, 15_000, 'the young session to be purged later')
  })
})

describe('read-only mode', () => {
  it('answers 405 UNSUPPORTED to every write and keeps serving reads', async () => {
    const root = join(dir.path, 'root')
    const writer = await startFromYaml(`storage: { filesystem: { rootdirectory: ${root} } }\n`)
    const image = await pushImage(writer.url, 'app', 'v1')
    await writer.close()

    server = await startFromYaml(`
storage:
  filesystem: { rootdirectory: ${root} }
  delete: { enabled: true }
  maintenance: { readonly: { enabled: true } }
`)
    const manifest = await fetch(`${server.url}/v2/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST } })
    expect(manifest.status).toBe(200)
    expect(await manifest.text()).toBe(image.manifest)
    expect((await fetch(`${server.url}/v2/app/blobs/${image.layerDigest}`)).status).toBe(200)
    expect((await fetch(`${server.url}/v2/app/tags/list`)).status).toBe(200)

    const writes: Array<[string, string, string?]> = [
      ['POST', '/v2/app/blobs/uploads/'],
      ['POST', `/v2/app/blobs/uploads/?digest=${sha256('x')}`, 'x'],
      ['PUT', '/v2/app/manifests/v2', image.manifest],
      ['DELETE', `/v2/app/manifests/${image.manifestDigest}`],
      ['DELETE', `/v2/app/blobs/${image.layerDigest}`],
    ]
    for (const [method, path, body] of writes) {
      const response = await fetch(`${server.url}${path}`, { method, ...(body ? { body, headers: { 'Content-Type': OCI_MANIFEST } } : {}) })
      expect([method, path, response.status]).toEqual([method, path, 405])
      expect(((await response.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNSUPPORTED')
    }
    expect((await fetch(`${server.url}/v2/app/manifests/v2`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404)
  })

  it('probes storage health without writing, and does not purge uploads', async () => {
    const root = join(dir.path, 'root')
    server = await startFromYaml(`
storage:
  filesystem: { rootdirectory: ${root} }
  maintenance:
    readonly: { enabled: true }
    uploadpurging: { enabled: true, age: 1ms, interval: 100ms }
health:
  storagedriver: { interval: 50ms }
`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await fetch(`${server.url}/debug/health`)).status).toBe(200)
    expect(await readdir(root).catch(() => [])).toEqual([])
    expect(server.logs.find('upload purge')).toEqual([])
  })
})
