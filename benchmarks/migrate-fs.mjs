// Time and peak memory of `migrateRegistry2` on a synthetic registry:2 tree on the filesystem.
// Usage: node benchmarks/migrate-fs.mjs [repositories=10000] [tagsPerRepo=10] [blobsPerRepo=20] [dir]
// Builds packages first (`pnpm --filter @wharf/core --filter @wharf/storage-fs build`). The tree has
// tiny blobs (sizes do not matter: no byte is read or copied); each repository has its own blobs,
// one manifest per tag and the layer links registry:2 writes. Runs migrate twice (2nd: writes 0).
import { createHash } from 'node:crypto'
import { mkdir, writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateRegistry2 } from '../packages/core/dist/index.js'
import { createFsDriver } from '../packages/storage-fs/dist/index.js'

const [repos = 10000, tagsPer = 10, blobsPer = 20] = process.argv.slice(2, 5).map(Number)
const dir = process.argv[5] ?? (await mkdtemp(join(tmpdir(), 'wharf-migrate-bench-')))
const v2 = join(dir, 'docker/registry/v2')
const sha = (s) => createHash('sha256').update(s).digest('hex')
const link = async (path, hex) => (await mkdir(path, { recursive: true }), writeFile(join(path, 'link'), `sha256:${hex}`))
const blob = async (data) => {
  const hex = sha(data)
  const d = join(v2, 'blobs/sha256', hex.slice(0, 2), hex)
  await mkdir(d, { recursive: true })
  await writeFile(join(d, 'data'), data)
  return hex
}

let t = Date.now()
for (let r = 0; r < repos; r++) {
  const name = `team${r % 100}/app${r}`
  const repo = join(v2, 'repositories', name)
  const layers = []
  // blobsPer blobs per repository: tagsPer manifests, the rest layers (each manifest lists its layers).
  for (let b = 0; b < blobsPer - tagsPer; b++) layers.push(await blob(`layer ${r} ${b}`))
  await Promise.all(layers.map((hex) => link(join(repo, '_layers/sha256', hex), hex)))
  for (let k = 0; k < tagsPer; k++) {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${layers[0]}`, size: 10 }, layers: layers.slice(1).map((hex) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${hex}`, size: 10 })), annotations: { k: String(k) } })
    const hex = await blob(manifest)
    await link(join(repo, '_manifests/revisions/sha256', hex), hex)
    await link(join(repo, '_manifests/tags', `v${k}`, 'current'), hex)
  }
}
console.log(JSON.stringify({ generated: { repositories: repos, tags: repos * tagsPer, blobs: repos * blobsPer }, ms: Date.now() - t, dir }))

let peak = 0
let peakHeap = 0
const mib = (n) => Math.round(n / 1048576)
const sample = setInterval(() => {
  const m = process.memoryUsage()
  peak = Math.max(peak, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
}, 100)
for (const run of [1, 2]) {
  peak = process.memoryUsage().rss
  peakHeap = process.memoryUsage().heapUsed
  t = Date.now()
  const summary = await migrateRegistry2({ storage: createFsDriver({ root: dir }) })
  console.log(JSON.stringify({ run, ms: Date.now() - t, peakRssMiB: mib(peak), peakHeapMiB: mib(peakHeap), heapUsedMiB: mib(process.memoryUsage().heapUsed), summary }))
}
clearInterval(sample)
if (!process.argv[5]) await rm(dir, { recursive: true, force: true })
