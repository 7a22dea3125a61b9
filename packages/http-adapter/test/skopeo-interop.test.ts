import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createHash } from 'node:crypto'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORK_ADAPTERS, type AdapterServer } from './adapter-servers.js'

const run = promisify(execFile)

/** The manifest digest a one-entry OCI layout's index.json points at. */
async function layoutManifestDigest(layout: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
  return index.manifests[0]!.digest
}

describe('skopeo pushes and pulls a real image through each adapter', () => {
  let work: string
  let layout: string
  let pushedDigest: string
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-adapter-skopeo-'))
    layout = join(work, 'image')
    // A tiny image built offline: an empty base plus one layer holding one file.
    await run('umoci', ['init', '--layout', layout])
    await run('umoci', ['new', '--image', `${layout}:v1`])
    await writeFile(join(work, 'hello.txt'), 'hello from wharf\n')
    await run('umoci', ['insert', '--image', `${layout}:v1`, join(work, 'hello.txt'), '/hello.txt'])
    pushedDigest = await layoutManifestDigest(layout)
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  for (const adapter of FRAMEWORK_ADAPTERS) {
    describe(adapter.name, () => {
      let registry: Registry
      let server: AdapterServer
      let root: string
      beforeAll(async () => {
        root = await mkdtemp(join(tmpdir(), 'wharf-adapter-skopeo-store-'))
        registry = createRegistry({ storage: createFsDriver({ root }) })
        server = await adapter.start(registry)
      })
      afterAll(async () => {
        await server?.close()
        await registry?.close()
        await rm(root, { recursive: true, force: true })
      })

      it('takes a push and gives back the same manifest, tags and layers', async () => {
        const ref = `docker://${server.address}/interop/hello:v1`
        await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, ref])

        const { stdout: raw } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref])
        expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(pushedDigest)
        const { stdout: tags } = await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${server.address}/interop/hello`])
        expect((JSON.parse(tags) as { Tags: string[] }).Tags).toEqual(['v1'])

        const pulled = join(work, `pulled-${adapter.name.replace(/[^a-z0-9]+/g, '-')}`)
        await run('skopeo', ['copy', '--src-tls-verify=false', ref, `oci:${pulled}:v1`])
        expect(await layoutManifestDigest(pulled)).toBe(pushedDigest)
      })

      it('copies between repositories of the same registry (cross-repository mount)', async () => {
        await run('skopeo', [
          'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
          `docker://${server.address}/interop/hello:v1`, `docker://${server.address}/interop/copy:latest`,
        ])
        const { stdout: raw } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${server.address}/interop/copy:latest`])
        expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(pushedDigest)
      })
    })
  }
})
