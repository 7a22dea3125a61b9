import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFsDriver } from '@wharf/storage-fs'
import { migrateRegistry2 } from '@wharf/core'
import { ensureCliBuilt, spawnCli } from '../helpers/cli-process.js'
import { startFromYaml, type TestServer } from '../helpers/in-process.js'
import { hasReferenceRegistry, hasSkopeo, startReferenceRegistry, type ReferenceRegistry } from '../../../../test-support/registry2/reference-registry2.js'
import { getManifest, skopeo } from '../../../../test-support/registry2/registry2-content.js'
import { expectCopiedBack, fillReferenceRegistry, type Registry2Content } from '../../../../test-support/registry2/registry2-scenario.js'

const run = promisify(execFile)

/** Bytes of every file under `dir` (0 when it does not exist). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  // A file gone between listing and stat (the health probe's temporary file) counts as nothing.
  for (const entry of entries) if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size
  return total
}

const blobFile = (root: string, digest: string) => join(root, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data')
const exists = (path: string) => stat(path).then(() => true, () => false)

/**
 * registry:2 (Debian's docker-registry 2.8) fills a filesystem root; it is stopped (the takeover),
 * wharf migrates the tree and serves it, an image and a tag are deleted through wharf, and the
 * server's registry and `wharf garbage-collect` (another process) collect at once. registry:2's files of what no tag reaches go, every
 * kept image still pulls byte-identical, through wharf and through registry:2 started again (rollback).
 */
describe.skipIf(!hasReferenceRegistry || !hasSkopeo)('garbage collection of a registry:2 filesystem root taken over by wharf', () => {
  let dir: string
  let root: string
  let reference: ReferenceRegistry | undefined
  let wharf: TestServer | undefined
  let content: Registry2Content
  let multiBlobs: string[] = []
  const wharfYaml = () => `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\n`
  const registry2Dir = () => join(root, 'docker/registry/v2')

  beforeAll(async () => {
    await ensureCliBuilt()
    dir = await mkdtemp(join(tmpdir(), 'wharf-registry2-gc-'))
    root = join(dir, 'data')
    reference = await startReferenceRegistry(dir, `  filesystem:\n    rootdirectory: ${root}`)
    content = await fillReferenceRegistry(reference, dir, (path) => rm(join(root, path), { recursive: true }))
    // The multi-arch image's index, child manifests and their blobs: what deleting its tag frees.
    const index = JSON.parse((await getManifest(reference.url, 'apps/multi', 'v1')).bytes) as { manifests: { digest: string }[] }
    multiBlobs = [content.pushed['apps/multi:v1']!]
    for (const child of index.manifests) {
      const m = JSON.parse((await getManifest(reference.url, 'apps/multi', child.digest)).bytes) as { config: { digest: string }; layers: { digest: string }[] }
      multiBlobs.push(child.digest, m.config.digest, ...m.layers.map((l) => l.digest))
    }
    await reference.stop()
    reference = undefined
    await migrateRegistry2({ storage: createFsDriver({ root }) })
    wharf = await startFromYaml(wharfYaml())
  }, 180_000)

  afterAll(async () => {
    await wharf?.close()
    await reference?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  // Invariant: nothing a tag of either layout reaches is removed; what only a deleted tag reached is.
  it('removes what only deleted tags reached, from two processes collecting at once, and the disk shrinks', async () => {
    expect((await fetch(`${wharf!.url}/v2/apps/multi/manifests/v1`, { method: 'DELETE' })).status).toBe(202)
    expect((await fetch(`${wharf!.url}/v2/apps/oci/manifests/keep`, { method: 'DELETE' })).status).toBe(202)
    for (const digest of multiBlobs) expect(await exists(blobFile(root, digest))).toBe(true)
    const before = await treeBytes(registry2Dir())
    expect(before).toBeGreaterThan(0)

    // Two wharf processes collect at once: the server's registry and `wharf garbage-collect`; grace 0s: nothing else writes now.
    await writeFile(join(dir, 'wharf.yml'), wharfYaml())
    const cli = spawnCli(['garbage-collect', join(dir, 'wharf.yml'), '--delete-untagged', '--grace', '0s'])
    // Started once the other process is collecting (its first progress line), so the two overlap.
    await vi.waitUntil(() => cli.entries().some((e) => e['event'] === 'progress') || cli.child.exitCode !== null, { timeout: 60_000, interval: 5 })
    const a = await wharf!.running.registry.collectGarbage({ deleteUntagged: true, graceMs: 0 })
    expect((await cli.exited).code).toBe(0)
    const b = cli.entries().find((e) => e['event'] === 'summary') as { blobsDeleted: number } | undefined
    expect(a.blobsDeleted + (b?.blobsDeleted ?? 0)).toBeGreaterThanOrEqual(multiBlobs.length)

    for (const digest of multiBlobs) expect(await exists(blobFile(root, digest))).toBe(false)
    // registry:2's own files of the removed image and tag are gone with it.
    expect(await exists(join(registry2Dir(), 'repositories/apps/multi/_manifests/tags/v1'))).toBe(false)
    expect(await exists(join(registry2Dir(), 'repositories/apps/oci/_manifests/tags/keep'))).toBe(false)
    expect(await exists(join(registry2Dir(), 'repositories/apps/oci/_manifests/tags/v1/current/link'))).toBe(true)
    expect(await exists(join(registry2Dir(), 'repositories/apps/oci/_uploads'))).toBe(false)
    expect(await treeBytes(registry2Dir())).toBeLessThan(before)
    expect(await readdir(root)).not.toContain('data') // no byte was copied out of registry:2's tree
  })

  it('still serves every kept image byte-identical through wharf (skopeo), and not the removed one', async () => {
    const kept = { ...content, pushed: Object.fromEntries(Object.entries(content.pushed).filter(([ref]) => ref !== 'apps/multi:v1')) }
    await expectCopiedBack(new URL(wharf!.url).host, kept, join(dir, 'out'))
    expect((await getManifest(wharf!.url, 'apps/multi', content.pushed['apps/multi:v1']!)).status).toBe(404)
    expect((await getManifest(wharf!.url, 'apps/oci', content.pushed['sig']!)).status).toBe(200)
  })

  // Invariant: a rollback to registry:2 still reads every image kept (its links and bytes stay).
  it('leaves registry:2, started again on the root, serving every kept image', async () => {
    await wharf!.close()
    wharf = undefined
    reference = await startReferenceRegistry(dir, `  filesystem:\n    rootdirectory: ${root}`)
    for (const ref of ['apps/oci:v1', 'apps/schema2:v1']) {
      await skopeo('copy', `docker://${reference.host}/${ref}`, `oci:${join(dir, 'rollback')}:${ref.replace(/[/:]/g, '-')}`)
    }
    expect((await getManifest(reference.url, 'apps/multi', 'v1')).status).toBe(404)
    await reference.stop()
    reference = undefined
    // registry:2's own offline collector walks what wharf left without finding a dangling link.
    const { stdout } = await run('docker-registry', ['garbage-collect', '--dry-run', join(dir, 'registry2-config.yml')])
    expect(stdout).toMatch(/blobs marked/)
  })
})
