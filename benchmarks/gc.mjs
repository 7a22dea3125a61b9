// Garbage collection: time and peak memory of `wharf garbage-collect` against distribution's
// `registry garbage-collect` (Debian docker-registry 2.8.2) on the same content, in the same run.
// Usage: node benchmarks/gc.mjs [repositories=1000] [imagesPerRepo=20] [untaggedPerRepo=5]
//          [--tmp DIR] [--generate-in DIR] [--limit MINUTES]
// --tmp: where the two storage roots go (default the OS temp dir; removed at the end).
// --generate-in: build the content there (e.g. /dev/shm, where fsync costs nothing), then `cp -a` it
// to --tmp: wharf's fs driver fsyncs every write, so pushing 100k blobs through its API on a disk
// takes far longer than collecting them. Copies keep mtimes; ETags are re-derived from the copies.
// Needs the packages built (`pnpm --filter "@wharf/server..." build`), docker-registry and GNU time.
//
// Content (defaults): 1000 repositories × 20 images = 20,000 manifests; each image has its own config
// and 4 layers (small, 64-128 bytes: sizes do not matter to a collector) = 100,000 blobs. In each
// repository 15 images are tagged and 5 are untagged manifests (pushed by digest), so with
// delete-untagged both collectors remove 5,000 manifests and their 25,000 blobs.
// - distribution: its on-disk layout written directly (packages/core/src/registry2/registry2-layout.ts);
//   pushing 100k blobs through its API would take most of the run.
// - wharf: pushed through wharf's own /v2 API in-process (`registry.fetch` on the fs driver,
//   monolithic blob uploads, 16 repositories at a time), so its records are exactly what a push
//   writes. Then wharf's grace is 0s, which makes it an offline collection like distribution's.
// Each collector runs as its own process under /usr/bin/time (elapsed seconds, peak RSS): first a
// dry run, then the real run, distribution first. Disk usage is measured with du before and after.
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createRegistry } from '../packages/core/dist/index.js'
import { createFsDriver } from '../packages/storage-fs/dist/index.js'

const flags = new Map()
const positional = []
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i].startsWith('--')) flags.set(process.argv[i].slice(2), process.argv[++i])
  else positional.push(Number(process.argv[i]))
}
const [repos = 1000, imagesPer = 20, untaggedPer = 5] = positional
const LAYERS = 4
/** A collector still running after this long is killed and the run fails (see --limit). */
const LIMIT_MINUTES = Number(flags.get('limit') ?? 30)
const work = await mkdtemp(join(flags.get('tmp') ?? tmpdir(), 'wharf-gc-bench-'))
const generateIn = flags.has('generate-in') ? await mkdtemp(join(flags.get('generate-in'), 'wharf-gc-gen-')) : work
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url))
const distRoot = join(work, 'distribution')
const wharfRoot = join(work, 'wharf')
const genDist = join(generateIn, 'distribution')
const genWharf = join(generateIn, 'wharf')
const run = promisify(execFile)
const hex = (data) => createHash('sha256').update(data).digest('hex')
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')
const log = (object) => console.log(JSON.stringify(object))

/** The same images for both registries: deterministic bytes, so the digests are the same. */
function* images() {
  for (let r = 0; r < repos; r++) {
    const name = `team${r % 50}/app${r}`
    for (let i = 0; i < imagesPer; i++) {
      const blob = (kind, n) => Buffer.from(`${kind} ${name} ${i} ${n} `.padEnd(64 + ((r * 31 + i * 7 + n) % 64), '.'))
      const config = blob('config', 0)
      const layers = Array.from({ length: LAYERS }, (_, n) => blob('layer', n + 1))
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${hex(config)}`, size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${hex(l)}`, size: l.length })),
      })
      yield { name, tag: i < imagesPer - untaggedPer ? `v${i}` : undefined, blobs: [config, ...layers], manifest }
    }
  }
}

/** registry:2's files for one image, as its push would leave them. */
async function writeRegistry2(image) {
  const v2 = join(genDist, 'docker/registry/v2')
  const link = async (dir, h) => (await mkdir(dir, { recursive: true }), writeFile(join(dir, 'link'), `sha256:${h}`))
  const data = async (bytes) => {
    const h = hex(bytes)
    const dir = join(v2, 'blobs/sha256', h.slice(0, 2), h)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'data'), bytes)
    return h
  }
  const repo = join(v2, 'repositories', image.name)
  for (const bytes of image.blobs) await link(join(repo, '_layers/sha256', await data(bytes)), hex(bytes))
  const m = await data(image.manifest)
  await link(join(repo, '_manifests/revisions/sha256', m), m)
  if (image.tag) {
    await link(join(repo, '_manifests/tags', image.tag, 'current'), m)
    await link(join(repo, '_manifests/tags', image.tag, 'index/sha256', m), m)
  }
}

/** wharf's records for one image, written by its own push path. */
async function pushToWharf(registry, image) {
  const base = 'http://bench/v2/'
  for (const bytes of image.blobs) {
    const response = await registry.fetch(new Request(`${base}${image.name}/blobs/uploads/?digest=sha256:${hex(bytes)}`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } }))
    if (response.status !== 201) throw new Error(`blob push: ${response.status} ${await response.text()}`)
  }
  const reference = image.tag ?? `sha256:${hex(image.manifest)}`
  const response = await registry.fetch(new Request(`${base}${image.name}/manifests/${reference}`, { method: 'PUT', body: image.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } }))
  if (response.status !== 201) throw new Error(`manifest push: ${response.status} ${await response.text()}`)
}

async function generate() {
  let t = Date.now()
  for (const image of images()) await writeRegistry2(image)
  log({ generated: 'distribution', ms: Date.now() - t })
  t = Date.now()
  const registry = createRegistry({ storage: createFsDriver({ root: genWharf }) })
  const byRepo = new Map()
  for (const image of images()) byRepo.set(image.name, [...(byRepo.get(image.name) ?? []), image])
  const queue = [...byRepo.values()]
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) for (const image of next) await pushToWharf(registry, image)
  }))
  await registry.close()
  log({ generated: 'wharf', ms: Date.now() - t, in: generateIn })
  if (generateIn === work) return
  t = Date.now()
  await run('cp', ['-a', genDist, genWharf, work], { maxBuffer: 1 << 26 })
  await rm(generateIn, { recursive: true, force: true })
  log({ copied: work, ms: Date.now() - t })
}

/** Bytes and files under a directory (du). */
async function usage(dir) {
  const [bytes, files] = await Promise.all([run('du', ['-sb', dir]), run('sh', ['-c', `find "${dir}" -type f | wc -l`])])
  return { bytes: Number(bytes.stdout.split('\t')[0]), files: Number(files.stdout.trim()) }
}

/** Runs a command under GNU time; its wall time, peak RSS and stdout (written to a file: distribution prints a line per object). */
async function timed(label, command, args) {
  const stats = join(work, `${label}.time`)
  const out = join(work, `${label}.out`)
  const loadBefore = load()
  const file = await open(out, 'w')
  await new Promise((resolve, reject) => {
    // Its own process group, so that a run past the time limit is killed with its collector.
    const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', stats, command, ...args], { stdio: ['ignore', file.fd, 'inherit'], detached: true })
    const limit = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), LIMIT_MINUTES * 60_000)
    child.on('error', reject)
    child.on('exit', async (code, signal) => {
      clearTimeout(limit)
      if (code === 0) return resolve()
      const tail = (await readFile(out, 'utf8')).trim().split('\n').slice(-3).join('\n')
      reject(new Error(`${label} ${signal ? `killed after ${LIMIT_MINUTES} min` : `exited ${code}`}; last output:\n${tail}`))
    })
  }).finally(() => file.close())
  const [seconds, kib] = (await readFile(stats, 'utf8')).trim().split('\n').pop().split(' ').map(Number)
  const stdout = await readFile(out, 'utf8')
  return { label, seconds, peakRssMiB: Math.round(kib / 1024), loadBefore, stdout }
}

const distConfig = join(work, 'distribution.yml')
const wharfConfig = join(work, 'wharf.yml')
await writeFile(distConfig, `version: 0.1\nlog: { level: error }\nstorage:\n  filesystem: { rootdirectory: ${distRoot} }\n`)
await writeFile(wharfConfig, `storage:\n  filesystem: { rootdirectory: ${wharfRoot} }\n`)

log({ node: process.version, date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, load: load(), repos, imagesPer, untaggedPer, manifests: repos * imagesPer, blobs: repos * imagesPer * (LAYERS + 1), work })
await generate()
const before = { distribution: await usage(distRoot), wharf: await usage(wharfRoot) }
log({ before })

const results = []
for (const dryRun of [true, false]) {
  const d = await timed(`distribution${dryRun ? '-dry' : ''}`, 'docker-registry', ['garbage-collect', ...(dryRun ? ['--dry-run'] : []), '--delete-untagged', distConfig])
  const w = await timed(`wharf${dryRun ? '-dry' : ''}`, process.execPath, [CLI, 'garbage-collect', wharfConfig, '--grace', '0s', '--delete-untagged', ...(dryRun ? ['--dry-run'] : [])])
  const summary = JSON.parse(w.stdout.trim().split('\n').find((line) => line.includes('"event":"summary"')))
  // distribution prints "blob eligible for deletion: …" per blob and "…: marking manifest …" per kept object.
  const eligible = d.stdout.split('\n').filter((line) => line.includes('eligible for deletion')).length
  const entry = {
    dryRun,
    distribution: { seconds: d.seconds, peakRssMiB: d.peakRssMiB, blobsEligible: eligible, loadBefore: d.loadBefore },
    wharf: { seconds: w.seconds, peakRssMiB: w.peakRssMiB, loadBefore: w.loadBefore, report: summary },
    timeRatio: +(w.seconds / d.seconds).toFixed(2),
    memoryRatio: +(w.peakRssMiB / d.peakRssMiB).toFixed(2),
  }
  results.push(entry)
  log(entry)
}
const after = { distribution: await usage(distRoot), wharf: await usage(wharfRoot) }
log({ after, load: load() })
await rm(work, { recursive: true, force: true })
