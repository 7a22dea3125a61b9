// Time, memory and list calls of `migrateRegistry2` on a synthetic registry:2 tree in a radosgw bucket.
// Usage: node benchmarks/migrate-s3.mjs [repositories=300] [tagsPerRepo=10] [blobsPerRepo=20]
// Needs ceph-mon, ceph-osd, radosgw (apt) and built packages
// (`pnpm --filter @wharf/core --filter @wharf/storage-s3 build`). Starts its own radosgw
// (packages/storage-s3/test/ceph/start-ceph.sh), writes the tree as registry:2's s3 driver names its
// objects (same layout as benchmarks/migrate-fs.mjs), then runs migrate three times on the same bucket:
//   1. with delimiter listing (the driver's listChildren): writes every record;
//   2. again (writes 0): the cost of reading the tree alone;
//   3. again, with listChildren hidden from the reader: the start-after fallback of a driver without it.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { migrateRegistry2 } from '../packages/core/dist/index.js'
import { createS3Driver } from '../packages/storage-s3/dist/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const run = promisify(execFile)
const [repos = 300, tagsPer = 10, blobsPer = 20] = process.argv.slice(2, 5).map(Number)
const ceph = fileURLToPath(new URL('../packages/storage-s3/test/ceph/', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'wharf-migrate-s3-'))
const mib = (n) => Math.round(n / 1048576)
const encode = (s) => new TextEncoder().encode(s)
const sha = (s) => createHash('sha256').update(s).digest('hex')

const { stdout } = await run(join(ceph, 'start-ceph.sh'), [join(dir, 'ceph')], { env: { ...process.env, S3_BUCKET: 'bench' }, timeout: 120_000 })
const env = Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
try {
  const driver = createS3Driver({
    bucket: env.WHARF_S3_BUCKET,
    region: 'us-east-1',
    endpoint: env.WHARF_S3_ENDPOINT,
    forcePathStyle: true,
    prefix: 'registry',
    credentials: { accessKeyId: env.WHARF_S3_ACCESS_KEY, secretAccessKey: env.WHARF_S3_SECRET },
  })

  // The tree: one object per registry:2 file, written 32 at a time.
  let t = Date.now()
  const v2 = 'docker/registry/v2'
  const pending = new Set()
  const put = async (key, body) => {
    const p = driver.put(key, encode(body)).finally(() => pending.delete(p))
    pending.add(p)
    if (pending.size >= 32) await Promise.race(pending)
  }
  const blob = async (data) => {
    const hex = sha(data)
    await put(`${v2}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, data)
    return hex
  }
  let objects = 0
  for (let r = 0; r < repos; r++) {
    const repo = `${v2}/repositories/team${r % 10}/app${r}`
    const layers = []
    for (let b = 0; b < blobsPer - tagsPer; b++) layers.push(await blob(`layer ${r} ${b}`))
    for (const hex of layers) await put(`${repo}/_layers/sha256/${hex}/link`, `sha256:${hex}`)
    for (let k = 0; k < tagsPer; k++) {
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${layers[0]}`, size: 10 }, layers: layers.slice(1).map((hex) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${hex}`, size: 10 })), annotations: { k: String(k) } })
      const hex = await blob(manifest)
      await put(`${repo}/_manifests/revisions/sha256/${hex}/link`, `sha256:${hex}`)
      await put(`${repo}/_manifests/tags/v${k}/current/link`, `sha256:${hex}`)
    }
    objects += blobsPer + (blobsPer - tagsPer) + 2 * tagsPer
  }
  await Promise.all(pending)
  console.log(JSON.stringify({ generated: { repositories: repos, tags: repos * tagsPer, blobs: repos * blobsPer, objects }, ms: Date.now() - t, node: process.version, load: loadavg().map((l) => l.toFixed(2)) }))

  let peak = 0
  let peakHeap = 0
  const sample = setInterval(() => {
    const m = process.memoryUsage()
    peak = Math.max(peak, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 100)
  for (const [label, delimiter] of [['1 (writes)', true], ['2 (writes 0)', true], ['3 (writes 0, no listChildren)', false]]) {
    // Counts list calls as the reader makes them: `list` pages, and `listChildren` directories (>= 1 page each).
    const calls = { list: 0, listChildren: 0 }
    const counted = {
      ...driver,
      list: (...args) => (calls.list++, driver.list(...args)),
      listChildren: delimiter ? (...args) => (calls.listChildren++, driver.listChildren(...args)) : undefined,
    }
    peak = process.memoryUsage().rss
    peakHeap = process.memoryUsage().heapUsed
    t = Date.now()
    const summary = await migrateRegistry2({ storage: counted })
    console.log(JSON.stringify({ run: label, ms: Date.now() - t, calls, peakRssMiB: mib(peak), peakHeapMiB: mib(peakHeap), summary }))
  }
  clearInterval(sample)
  await driver.close()
} finally {
  await run(join(ceph, 'stop-ceph.sh'), [join(dir, 'ceph')], { timeout: 60_000 }).catch((error) => console.error(error))
  await rm(dir, { recursive: true, force: true })
}
