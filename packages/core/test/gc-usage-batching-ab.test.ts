import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createRegistry, type Registry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { createStores } from '../src/registry.js'
import { collectGarbage } from '../src/gc/collect-garbage.js'
import { createRegistry2Source } from '../src/registry2/registry2-source.js'

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`
const call = (r: Registry, path: string, init?: RequestInit) => r.fetch(new Request(`http://x${path}`, init))

// An A/B measurement, not a check: skipped unless WHARF_GC_AB=1 (figures in benchmarks/results/gc.md).
// The same fs content (REPOS repositories x 10 images of 5 blobs, every other tag deleted) is copied
// four times and collected (--grace 0s, delete-untagged) with the usage records updated per link
// and per blob record as before ("per-link") and batched ("batched"), alternating.
it.skipIf(process.env['WHARF_GC_AB'] !== '1')('A/B: usage batched vs per link', async () => {
  const base = mkdtempSync(join('/tmp', 'gc-ab-'))
  const root = join(base, 'src')
  const registry = createRegistry({ storage: createFsDriver({ root }) })
  const REPOS = Number(process.env['AB_REPOS'] ?? 30)
  await Promise.all(Array.from({ length: REPOS }, async (_, r) => {
    for (let i = 0; i < 10; i++) {
      const blobs = []
      for (let b = 0; b < 5; b++) {
        const body = `blob ${r} ${i} ${b} ${Math.random()}`
        expect((await call(registry, `/v2/repo${r}/blobs/uploads/?digest=${sha(body)}`, { method: 'POST', body })).status).toBe(201)
        blobs.push({ mediaType: 'application/octet-stream', digest: sha(body), size: body.length })
      }
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: blobs[0], layers: blobs.slice(1) })
      expect((await call(registry, `/v2/repo${r}/manifests/t${i}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(201)
      if (i % 2 === 0) expect((await call(registry, `/v2/repo${r}/manifests/t${i}`, { method: 'DELETE' })).status).toBe(202)
    }
  }))
  const results: string[] = []
  for (const [n, variant] of [[1, 'per-link'], [2, 'batched'], [3, 'batched'], [4, 'per-link']] as const) {
    const copy = join(base, `c${n}`)
    execFileSync('cp', ['-a', root, copy])
    const storage = createFsDriver({ root: copy })
    const stores = createStores(storage, {}, createRegistry2Source(storage, { mode: 'off' }))
    const usage = stores.usage
    const old = {
      ...usage,
      reconcileLinks: async (repo: string, ds: readonly Parameters<typeof usage.reconcileLink>[1][]) => void (await Promise.all(ds.map((d) => usage.reconcileLink(repo, d)))),
      reconcileBlobs: async (ds: readonly Parameters<typeof usage.reconcileBlob>[0][]) => void (await Promise.all(ds.map((d) => usage.reconcileBlob(d)))),
    }
    const t = performance.now()
    const report = await collectGarbage(variant === 'batched' ? stores : { ...stores, usage: old }, { deleteUntagged: true, graceMs: 0 })
    results.push(`${variant}: ${((performance.now() - t) / 1000).toFixed(2)} s (${report.linksDeleted} links, ${report.blobsDeleted} blobs)`)
  }
  console.log(`REPOS=${REPOS} load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()}\n${results.join('\n')}`)
  rmSync(base, { recursive: true, force: true })
}, 900_000)
