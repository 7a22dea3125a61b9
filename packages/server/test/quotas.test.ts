/**
 * Usage records and byte quotas (`policies.quotas`), through a real port on a filesystem storage.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseConfig, toConfigDocument } from '@wharf/server'
import { afterEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { pushBlob, pushImage, sha256 } from './helpers/registry-client.js'

const BLOB = 4096
const bytes = (seed: number, size = BLOB) => new Uint8Array(size).fill(seed)
const yaml = (root: string, quota = 10_000) => `
storage:
  filesystem: { rootdirectory: ${root} }
  delete: { enabled: true }
policies:
  quotas:
    - repositories: team-a/**
      maxbytes: ${quota}
`

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function start(quota?: number, root?: string): Promise<{ server: TestServer; root: string }> {
  let path = root
  if (!path) {
    const dir = await createTempDir()
    cleanups.push(dir.remove)
    path = dir.path
  }
  const server = await startFromYaml(yaml(path, quota))
  cleanups.push(() => server.close())
  return { server, root: path }
}

/**
 * Every file under `dir` with its size (none when `dir` does not exist). A file that vanishes
 * between the listing and its stat is left out: the storage health probe writes and renames a
 * temporary file under `health/` at any moment.
 */
async function files(dir: string): Promise<Array<{ path: string; size: number }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  const sized = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name)
        const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined
          throw error
        })
        return info && { path, size: info.size }
      }),
  )
  return sized.filter((f) => f !== undefined)
}

/** The invariant "nothing of the refused blob landed": no file as large as it, no blob record. */
async function expectNothingStored(root: string): Promise<void> {
  expect((await files(root)).filter((f) => f.size >= BLOB)).toEqual([])
  expect(await files(join(root, 'blobs'))).toEqual([])
}

async function expectDenied(res: Response): Promise<{ message: string; detail: Record<string, unknown> }> {
  expect(res.status).toBe(403)
  const error = ((await res.json()) as { errors: Array<{ code: string; message: string; detail: Record<string, unknown> }> }).errors[0]!
  expect(error.code).toBe('DENIED')
  return error
}

const usageOf = async (server: TestServer, repository: string) => (await server.running.registry.usage(repository)).repositories[0]!

describe('policies.quotas configuration', () => {
  it('reads quotas from YAML with units and from REGISTRY_POLICIES_QUOTAS_*', () => {
    const fromYaml = parseConfig(toConfigDocument('storage: { inmemory: }\npolicies: { quotas: [{ repositories: "team-a/**", maxbytes: 10GiB }] }'))
    expect(fromYaml.config.policies.quotas).toEqual([{ repositories: 'team-a/**', maxBytes: 10 * 2 ** 30 }])
    expect(fromYaml.unsupportedKeys).toEqual([])
    const fromEnv = parseConfig(toConfigDocument('storage: { inmemory: }'), {
      env: { REGISTRY_POLICIES_QUOTAS_0_REPOSITORIES: 'ci/*', REGISTRY_POLICIES_QUOTAS_0_MAXBYTES: '500MB' },
    })
    expect(fromEnv.config.policies.quotas).toEqual([{ repositories: 'ci/*', maxBytes: 500e6 }])
    expect(() => parseConfig(toConfigDocument('storage: { inmemory: }\npolicies: { quotas: [{ repositories: "a/**", maxbytes: lots }] }'))).toThrow(
      /policies\.quotas\[0\]\.maxbytes: expected a size in bytes/,
    )
  })
})

describe('quotas through a real port (fs)', () => {
  it('refuses a monolithic POST over the quota before its bytes land', async () => {
    // Invariant: a push whose declared size exceeds the quota is answered DENIED before any byte is stored.
    const { server, root } = await start(BLOB - 1)
    const data = bytes(1)
    const res = await fetch(`${server.url}/v2/team-a/app/blobs/uploads/?digest=${sha256(data)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(BLOB) },
      body: data,
    })
    const error = await expectDenied(res)
    expect(error.message).toMatch(/quota exceeded: team-a\/app uses 0 of 4095 bytes allowed by quota team-a\/\*\*/)
    expect(error.detail).toMatchObject({ quota: 'team-a/**', limit: BLOB - 1, usage: 0, requested: BLOB })
    await expectNothingStored(root)
  })

  it('refuses a PUT and a PATCH that declare their length before their bytes land', async () => {
    // Invariant: Content-Length on the closing PUT or on a PATCH is checked before the body is read.
    const { server, root } = await start(BLOB - 1)
    const data = bytes(2)
    for (const method of ['PUT', 'PATCH'] as const) {
      const open = await fetch(`${server.url}/v2/team-a/app/blobs/uploads/`, { method: 'POST' })
      const url = new URL(open.headers.get('location')!, server.url)
      if (method === 'PUT') url.searchParams.set('digest', sha256(data))
      await expectDenied(await fetch(url, { method, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(BLOB) }, body: data }))
    }
    await expectNothingStored(root)
    // Repositories no rule covers are not limited.
    await pushBlob(server.url, 'team-b/app', data)
  })

  it('refuses at commit a streamed PATCH without a length, and keeps nothing of it', async () => {
    // Invariant: when the size is unknown until the end, the commit is refused and the blob never becomes visible.
    const { server, root } = await start(BLOB - 1)
    const data = bytes(3)
    const open = await fetch(`${server.url}/v2/team-a/app/blobs/uploads/`, { method: 'POST' })
    const url = new URL(open.headers.get('location')!, server.url)
    const body = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(data), c.close()) })
    const patch = await fetch(url, { method: 'PATCH', body, duplex: 'half' } as RequestInit)
    expect(patch.status).toBe(202)
    const put = new URL(patch.headers.get('location')!, server.url)
    put.searchParams.set('digest', sha256(data))
    await expectDenied(await fetch(put, { method: 'PUT' }))
    expect((await fetch(`${server.url}/v2/team-a/app/blobs/${sha256(data)}`, { method: 'HEAD' })).status).toBe(404)
    await expectNothingStored(root)
    expect(await usageOf(server, 'team-a/app')).toEqual({ repository: 'team-a/app', bytes: 0, blobs: 0 })
  })

  it('refuses a mount that would exceed the quota', async () => {
    // Invariant: a mount adds the source blob's size at once; over the quota nothing is linked.
    const { server } = await start(BLOB - 1)
    const digest = await pushBlob(server.url, 'shared/base', bytes(4))
    await expectDenied(await fetch(`${server.url}/v2/team-a/app/blobs/uploads/?mount=${digest}&from=shared/base`, { method: 'POST' }))
    expect((await fetch(`${server.url}/v2/team-a/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('counts usage per repository, namespace and total after push, re-push, mount and delete, and keeps it across a restart', async () => {
    // Invariants: a blob counts once per repository it is linked in, once in the total however many
    // repositories link it; namespaces sum their repositories; the records persist in storage.
    const { server, root } = await start(1_000_000)
    const image = await pushImage(server.url, 'team-a/app', 'v1', bytes(5))
    const configSize = (await fetch(`${server.url}/v2/team-a/app/blobs/${image.configDigest}`, { method: 'HEAD' })).headers.get('content-length')
    const appBytes = BLOB + Number(configSize)
    expect(await usageOf(server, 'team-a/app')).toEqual({ repository: 'team-a/app', bytes: appBytes, blobs: 2 })
    // Pushing the same blob again links nothing new.
    await pushBlob(server.url, 'team-a/app', bytes(5))
    expect(await usageOf(server, 'team-a/app')).toEqual({ repository: 'team-a/app', bytes: appBytes, blobs: 2 })
    const mount = await fetch(`${server.url}/v2/team-a/tools/cache/blobs/uploads/?mount=${image.layerDigest}&from=team-a/app`, { method: 'POST' })
    expect(mount.status).toBe(201)
    let report = await server.running.registry.usage()
    expect(report.repositories).toEqual([
      { repository: 'team-a/app', bytes: appBytes, blobs: 2 },
      { repository: 'team-a/tools/cache', bytes: BLOB, blobs: 1 },
    ])
    expect(report.namespaces).toEqual([
      { namespace: 'team-a', bytes: appBytes + BLOB, blobs: 3, repositories: 2 },
      { namespace: 'team-a/tools', bytes: BLOB, blobs: 1, repositories: 1 },
    ])
    expect(report.total).toEqual({ bytes: appBytes, blobs: 2 })
    expect((await fetch(`${server.url}/v2/team-a/app/blobs/${image.layerDigest}`, { method: 'DELETE' })).status).toBe(202)
    report = await server.running.registry.usage()
    expect(report.repositories[0]).toEqual({ repository: 'team-a/app', bytes: appBytes - BLOB, blobs: 1 })
    // The blob record stays until a garbage collector removes it: the total still holds it.
    expect(report.total).toEqual({ bytes: appBytes, blobs: 2 })

    await server.close()
    const again = await startFromYaml(yaml(root, 1_000_000))
    cleanups.push(() => again.close())
    expect(await again.running.registry.usage()).toEqual(report)
    // A rebuild by a walk agrees with the records kept incrementally.
    expect(await again.running.registry.usage({ rebuild: true })).toEqual(report)
  })
})
