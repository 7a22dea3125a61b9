#!/usr/bin/env node
/**
 * wharf on S3 against the reference registry's s3 driver (distribution 2.8.2, Debian's
 * `docker-registry`), both on one Ceph radosgw started for the run, in one run:
 *
 * - push of a random blob (default 512 MiB) two ways (POST + PUT with the blob; docker's POST, streamed
 *   PATCH, empty PUT), each on a fresh server process, and pull of it (curl), in MiB/s;
 * - commit time: the PUT ?digest= that finishes a docker-style upload of 64 MiB and of 1 GiB, in ms;
 * - peak RSS (VmHWM) of the server process during each push.
 *
 *   node benchmarks/s3.mjs [--size=512] [--commit-sizes=64,1024] [--repetitions=3] [--out=benchmarks/results/s3.md]
 *                          [--tmp=DIR] [--reference-bin=/usr/bin/docker-registry] [--quick]
 *
 * `--quick` is a smoke run (64 MiB pushes, 16 and 64 MiB commits, one repetition). Needs ceph-mon,
 * ceph-osd, radosgw, docker-registry and curl (apt). The wharf server is
 * packages/storage-s3/test/fixtures/registry-process.mjs (createRegistry + createS3Driver + node:http),
 * run from packages/{core,http-adapter,storage-s3}/dist, built first when stale. Figures are medians of
 * interleaved repetitions; this machine is shared and noisy, compare only figures of one run.
 */
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { createRandomBlobFile } from './lib/blob-file.mjs'
import { assertBlobStored, pullWithCurl, pushDockerStyle, pushPostPut, sendSmall } from './lib/blob-transfer.mjs'
import { describeEnvironment, describeLoad } from './lib/environment.mjs'
import { createPeakRssSampler, readProcessMemory } from './lib/process-memory.mjs'
import { median } from './lib/stats.mjs'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const cephScripts = join(root, 'packages/storage-s3/test/ceph')
const registryScript = join(root, 'packages/storage-s3/test/fixtures/registry-process.mjs')
const MiB = 2 ** 20
const log = (line) => process.stdout.write(`${line}\n`)

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    'commit-sizes': { type: 'string', default: '64,1024' },
    repetitions: { type: 'string', default: '3' },
    out: { type: 'string', default: join(root, 'benchmarks/results/s3.md') },
    tmp: { type: 'string', default: tmpdir() },
    'reference-bin': { type: 'string', default: '/usr/bin/docker-registry' },
    quick: { type: 'boolean', default: false },
  },
})
const options = {
  size: Number(args.quick ? 64 : args.size) * MiB,
  commitSizes: (args.quick ? '16,64' : args['commit-sizes']).split(',').map((s) => Number(s) * MiB),
  repetitions: args.quick ? 1 : Number(args.repetitions),
  out: args.out,
  referenceBin: args['reference-bin'],
}
const flows = {
  'POST + PUT': pushPostPut,
  'docker (POST, streamed PATCH, PUT)': pushDockerStyle,
}

// ---- radosgw -------------------------------------------------------------------------------------

/** Starts radosgw with test/ceph/start-ceph.sh under `dir`; memstore sized for the largest commit. */
async function startCeph(dir) {
  const memstore = Math.max(4 * 2 ** 30, 3 * Math.max(...options.commitSizes, options.size))
  const { stdout } = await run(join(cephScripts, 'start-ceph.sh'), [dir], {
    env: { ...process.env, S3_BUCKET: 'bench', MEMSTORE_BYTES: String(memstore) },
    timeout: 120_000,
  })
  const env = Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
  const socket = join(dir, 'run', (await readdir(join(dir, 'run'))).find((name) => /^osd\.\d+\.asok$/.test(name)))
  const s3 = { endpoint: env.WHARF_S3_ENDPOINT, region: 'us-east-1', bucket: env.WHARF_S3_BUCKET, accessKeyId: env.WHARF_S3_ACCESS_KEY, secretAccessKey: env.WHARF_S3_SECRET }
  const { createS3Driver } = await import('../packages/storage-s3/dist/index.js')
  const createDriver = (prefix) =>
    createS3Driver({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
  return {
    s3,
    async availableBytes() {
      const { stdout: dump } = await run('ceph', ['--admin-daemon', socket, 'perf', 'dump', 'osd'])
      return JSON.parse(dump).osd.stat_bytes_avail
    },
    /** A driver on the bucket, keys under `prefix`. */
    createDriver,
    /** Deletes every object under `prefix` and frees their RAM now (radosgw's GC would wait hours). */
    async purge(prefix) {
      const driver = createDriver(prefix)
      await driver.deletePrefix('')
      await driver.close?.()
      await run('radosgw-admin', ['-c', join(dir, 'ceph.conf'), 'gc', 'process', '--include-all'], { timeout: 60_000 })
    },
    stop: () => run(join(cephScripts, 'stop-ceph.sh'), [dir], { timeout: 60_000 }),
  }
}

// ---- servers -------------------------------------------------------------------------------------

/** One process of the fixture script on `prefix`; resolves once it prints the URL it listens on. */
async function startWharf(s3, prefix, redirect = false) {
  const child = spawn(process.execPath, [registryScript], {
    env: { ...process.env, NODE_OPTIONS: '', WHARF_S3_REGISTRY: JSON.stringify({ ...s3, prefix, redirect }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = collectTail(child)
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`wharf exited (${code}) before listening:\n${output()}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{"listening"')) resolve(JSON.parse(line).listening)
    })
  })
  return toServer('wharf', child, url, output)
}

/**
 * distribution with the s3 driver configured as the issue says (redirects off), its root directory at
 * `prefix`; with `redirect`, blob GETs answer with a presigned URL (its s3 driver's default).
 */
async function startReference(s3, prefix, workDir, redirect = false) {
  const port = await freePort()
  const config = join(workDir, `${prefix}${redirect ? '-redirect' : ''}.yml`)
  await writeFile(
    config,
    `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
http:
  addr: 127.0.0.1:${port}
  secret: wharf-benchmark
storage:
  s3:
    region: ${s3.region}
    regionendpoint: ${s3.endpoint}
    bucket: ${s3.bucket}
    accesskey: ${s3.accessKeyId}
    secretkey: ${s3.secretAccessKey}
    forcepathstyle: true
    v4auth: true
    chunksize: 5242880
    secure: false
    rootdirectory: /${prefix}
  redirect:
    disable: ${!redirect}
  delete:
    enabled: true
`,
  )
  // Its Go AWS SDK refuses to start with AWS_CA_BUNDLE set over plain HTTP (as `env -u AWS_CA_BUNDLE`).
  const { AWS_CA_BUNDLE: _unused, ...env } = process.env
  const child = spawn(options.referenceBin, ['serve', config], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = collectTail(child)
  const url = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 15_000; ; ) {
    if (child.exitCode !== null) throw new Error(`reference exited (${child.exitCode}):\n${output()}`)
    if (await fetch(`${url}/v2/`).then((r) => r.status === 200, () => false)) break
    if (Date.now() > deadline) throw new Error(`reference not ready within 15 s:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return toServer('reference', child, url, output)
}

function collectTail(child) {
  let tail = ''
  const keep = (chunk) => (tail = (tail + chunk).slice(-4096))
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  return () => tail
}

function toServer(kind, child, url, output) {
  return {
    kind,
    pid: child.pid,
    url,
    assertAlive() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${kind} died:\n${output()}`)
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await once(child, 'exit')
      clearTimeout(timer)
    },
  }
}

async function freePort() {
  const { createServer } = await import('node:net')
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

// ---- measurements --------------------------------------------------------------------------------

/** Docker's flow with the PUT timed alone: POST, PATCH of the file, then PUT ?digest= with no body. */
async function timeCommit(url, repo, blob) {
  const opened = await sendSmall(`${url}/v2/${repo}/blobs/uploads/`, 'POST')
  if (opened.status !== 202) throw new Error(`POST: ${opened.status} ${opened.body}`)
  const patchUrl = new URL(opened.headers.location, url)
  const patch = request(patchUrl, { method: 'PATCH', agent: false, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size } })
  const answered = once(patch, 'response')
  await pipeline(createReadStream(blob.path, { highWaterMark: MiB }), patch)
  const [patched] = await answered
  patched.resume()
  if (patched.statusCode !== 202) throw new Error(`PATCH: ${patched.statusCode}`)
  const putUrl = new URL(patched.headers.location, url)
  putUrl.searchParams.set('digest', blob.digest)
  const started = performance.now()
  const closed = await sendSmall(putUrl.href, 'PUT')
  const ms = performance.now() - started
  if (closed.status !== 201) throw new Error(`PUT: ${closed.status} ${closed.body}`)
  return ms
}

/**
 * Context for the push and pull figures: the S3 driver alone writing the file and reading it back (no
 * HTTP server, no digest), in this process. What radosgw and the SDK allow on this machine.
 */
async function measureDriverAlone(ceph, blob, prefix) {
  const driver = ceph.createDriver(prefix)
  try {
    let started = performance.now()
    const state = await driver.appendWrite(await driver.startWrite('data/blob'), createReadStream(blob.path, { highWaterMark: MiB }))
    await driver.finishWrite(state)
    const write = blob.size / MiB / ((performance.now() - started) / 1000)
    started = performance.now()
    let received = 0
    for await (const chunk of await driver.read('data/blob')) received += chunk.length
    if (received !== blob.size) throw new Error(`driver read ${received} bytes, expected ${blob.size}`)
    return { write, read: blob.size / MiB / ((performance.now() - started) / 1000) }
  } finally {
    await driver.close?.()
    await ceph.purge(prefix)
  }
}

/** GET the blob with `curl -L`: one 307 to a presigned S3 URL, then the bytes from radosgw itself. */
async function pullFollowingRedirect(url, repo, blob) {
  const { stdout } = await run('curl', ['-sS', '-L', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total} %{num_redirects}', `${url}/v2/${repo}/blobs/${blob.digest}`])
  const [status, size, seconds, redirects] = stdout.trim().split(' ').map(Number)
  if (status !== 200 || size !== blob.size || redirects !== 1) throw new Error(`redirected pull: status ${status}, ${size} bytes, ${redirects} redirect(s)`)
  return seconds
}

async function measureRound(ceph, workDir, blobs, repetition, samples) {
  const record = (key, value) => (samples[key] ??= []).push(value)
  const alone = await measureDriverAlone(ceph, blobs.push, `driver-${repetition}`)
  record('driver write', alone.write)
  record('driver read', alone.read)
  log(`  S3 driver alone, in this process: write ${alone.write.toFixed(0)} MiB/s, read ${alone.read.toFixed(0)} MiB/s`)
  const kinds = repetition % 2 === 0 ? ['wharf', 'reference'] : ['reference', 'wharf']
  const start = (kind, prefix, redirect = false) =>
    kind === 'wharf' ? startWharf(ceph.s3, prefix, redirect) : startReference(ceph.s3, prefix, workDir, redirect)
  for (const kind of kinds) {
    for (const [flow, push] of Object.entries(flows)) {
      const prefix = `${kind}-${repetition}-${flow === 'POST + PUT' ? 'put' : 'docker'}`
      const server = await start(kind, prefix)
      try {
        record(`idle ${kind}`, readProcessMemory(server.pid).rss / 1e6)
        const sampler = createPeakRssSampler(server.pid)
        const seconds = await push(server.url, 'bench/blob', blobs.push)
        record(`rss ${flow} ${kind}`, sampler.stop() / 1e6)
        server.assertAlive()
        await assertBlobStored(server.url, 'bench/blob', blobs.push)
        record(`push ${flow} ${kind}`, blobs.push.size / MiB / seconds)
        log(`  ${kind.padEnd(9)} push, ${flow}: ${samples[`push ${flow} ${kind}`].at(-1).toFixed(0)} MiB/s, peak RSS ${samples[`rss ${flow} ${kind}`].at(-1).toFixed(0)} MB`)
        if (flow === 'POST + PUT') {
          record(`pull ${kind}`, blobs.push.size / MiB / (await pullWithCurl(server.url, 'bench/blob', blobs.push)))
          // The same blob through a second server on the same prefix that redirects blob GETs to S3.
          const redirecting = await start(kind, prefix, true)
          try {
            record(`pull redirect ${kind}`, blobs.push.size / MiB / (await pullFollowingRedirect(redirecting.url, 'bench/blob', blobs.push)))
          } finally {
            await redirecting.stop()
          }
          log(`  ${kind.padEnd(9)} pull: ${samples[`pull ${kind}`].at(-1).toFixed(0)} MiB/s; with a redirect to S3: ${samples[`pull redirect ${kind}`].at(-1).toFixed(0)} MiB/s`)
        }
      } finally {
        await server.stop()
        await ceph.purge(prefix)
      }
    }
    const prefix = `${kind}-${repetition}-commit`
    const server = await start(kind, prefix)
    try {
      for (const blob of blobs.commit) {
        const ms = await timeCommit(server.url, `bench/commit-${blob.size}`, blob)
        record(`commit ${blob.size} ${kind}`, ms)
        log(`  ${kind.padEnd(9)} commit after ${blob.size / MiB} MiB: ${ms.toFixed(0)} ms`)
      }
    } finally {
      await server.stop()
      await ceph.purge(prefix)
    }
  }
}

// ---- report --------------------------------------------------------------------------------------

function toRows(samples) {
  const m = (key) => (samples[key] ? median(samples[key]) : undefined)
  const size = `${options.size / MiB} MiB`
  const rows = []
  for (const flow of Object.keys(flows)) {
    rows.push({ label: `push, ${flow}`, size, unit: 'MiB/s', wharf: m(`push ${flow} wharf`), reference: m(`push ${flow} reference`), goal: 2, keys: [`push ${flow} wharf`, `push ${flow} reference`] })
  }
  rows.push({ label: 'pull, GET blob (curl)', size, unit: 'MiB/s', wharf: m('pull wharf'), reference: m('pull reference'), goal: 1, keys: ['pull wharf', 'pull reference'] })
  rows.push({ label: 'pull, redirect on: 307 to a presigned S3 URL (curl -L)', size, unit: 'MiB/s', wharf: m('pull redirect wharf'), reference: m('pull redirect reference'), keys: ['pull redirect wharf', 'pull redirect reference'] })
  for (const bytes of options.commitSizes) {
    const keys = [`commit ${bytes} wharf`, `commit ${bytes} reference`]
    rows.push({ label: 'commit: PUT ?digest= after a streamed PATCH', size: `${bytes / MiB} MiB`, unit: 'ms', wharf: m(keys[0]), reference: m(keys[1]), keys })
  }
  const [small, large] = [options.commitSizes[0], options.commitSizes.at(-1)]
  const growth = (kind) => m(`commit ${large} ${kind}`) / m(`commit ${small} ${kind}`)
  rows.push({ label: `commit growth, ${large / MiB} MiB / ${small / MiB} MiB`, size: '', unit: '×', wharf: growth('wharf'), reference: growth('reference'), keys: [] })
  for (const flow of Object.keys(flows)) {
    const keys = [`rss ${flow} wharf`, `rss ${flow} reference`]
    rows.push({ label: `server peak RSS during push, ${flow}`, size, unit: 'MB', wharf: m(keys[0]), reference: m(keys[1]), keys })
  }
  rows.push({ label: 'context: server RSS idle, after start', size: '', unit: 'MB', wharf: m('idle wharf'), reference: m('idle reference'), keys: ['idle wharf', 'idle reference'] })
  rows.push({ label: 'context: S3 driver alone, appendWrite + finishWrite', size, unit: 'MiB/s', wharf: m('driver write'), reference: undefined, keys: ['driver write'] })
  rows.push({ label: 'context: S3 driver alone, read', size, unit: 'MiB/s', wharf: m('driver read'), reference: undefined, keys: ['driver read'] })
  return rows
}

const format = (value) => (value === undefined || Number.isNaN(value) ? 'n/a' : value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2))

function toCells(row) {
  const ratio = row.reference === undefined ? undefined : row.wharf / row.reference
  const met = row.goal === undefined ? '' : ratio >= row.goal ? 'yes' : 'NO'
  return [row.label, row.size, row.unit, format(row.wharf), format(row.reference), ratio === undefined ? '' : `${format(ratio)}×`, row.goal ? `≥ ${row.goal}×` : '', met]
}
const headings = ['measurement', 'size', 'unit', 'wharf', 'reference', 'wharf / ref', 'goal', 'met']

function toText(rows) {
  const lines = [headings, ...rows.map(toCells)]
  const widths = headings.map((_, i) => Math.max(...lines.map((line) => line[i].length)))
  return lines.map((line) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n')
}

function toMarkdown(rows, samples, environment, command, stale) {
  const table = [`| ${headings.join(' | ')} |`, `|${headings.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${toCells(r).join(' | ')} |`)]
  const sampleLines = rows
    .filter((r) => r.keys.length)
    .map((r) => `| ${r.label} | ${r.size} | ${[r.keys[0], r.keys[1]].map((k) => (k ? (samples[k] ?? []).map(format).join(', ') : '')).join(' | ')} |`)
  return `# wharf on S3 (Ceph radosgw) vs the reference registry's s3 driver

- date: ${environment.date}
- command: \`${command}\`
- node ${environment.node}; reference: ${environment.reference}; ${environment.cpuModel}, ${environment.cores} cores, ${environment.memoryGiB} GiB; kernel ${environment.kernel}
- load average (1, 5, 15 min) at start: ${environment.loadAtStart}; at end: ${describeLoad()} (other work on the machine lowers every figure)
- one radosgw (Debian's Ceph, memstore: objects in RAM) for both servers; ${options.repetitions} interleaved repetition(s), medians; MB = 10⁶ bytes
- wharf: packages/storage-s3/test/fixtures/registry-process.mjs (createRegistry + createS3Driver, 8 MiB parts, + node:http), one Node process;
  reference: distribution's s3 driver (\`chunksize: 5242880\`, \`redirect.disable: true\`); a fresh process per push, each under its own key prefix
- push: a random file streamed through node:http in 1 MiB chunks; pull: \`curl -o /dev/null\`; redirected pull: a second server process on
  the same keys with redirects on (wharf \`redirect: true\`, distribution \`redirect.disable: false\`), \`curl -L\`
- commit: docker-style upload, the PUT timed alone; wharf completes the multipart upload in place and writes a small record,
  distribution moves the upload to its blob path with a server-side copy
- peak RSS: VmHWM of the server process during the push; radosgw, the client and the server share the cores
${stale ? `- WARNING: ${stale}\n` : ''}
${table.join('\n')}

Samples, in run order:

| measurement | size | wharf | reference |
| --- | ---: | ---: | ---: |
${sampleLines.join('\n')}
`
}

// ---- main ----------------------------------------------------------------------------------------

/** Builds core, http-adapter and storage-s3 when a dist is missing or older than its sources. */
async function ensureBuilt() {
  const stale = []
  for (const pkg of ['core', 'http-adapter', 'storage-s3']) {
    const built = await stat(join(root, 'packages', pkg, 'dist/index.js')).then((s) => s.mtimeMs, () => 0)
    const sources = await readdir(join(root, 'packages', pkg, 'src'), { recursive: true, withFileTypes: true })
    const newest = Math.max(...(await Promise.all(sources.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.mtimeMs)))))
    if (newest > built) stale.push(pkg)
  }
  if (stale.length) await run('pnpm', [...stale.flatMap((p) => ['--filter', `@wharf/${p}`]), 'build'], { cwd: root, timeout: 180_000 })
}

const distStamp = () => Promise.all(['core', 'http-adapter', 'storage-s3'].map((p) => stat(join(root, 'packages', p, 'dist/index.js')).then((s) => s.mtimeMs)))

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  await ensureBuilt()
  const builtAt = (await distStamp()).join()
  const environment = await describeEnvironment(options.referenceBin)
  const command = ['node', relative(root, process.argv[1]), ...process.argv.slice(2)].join(' ')
  const workDir = await mkdtemp(join(args.tmp, 'wharf-bench-s3-'))
  let ceph
  const cleanUp = async () => {
    await ceph?.stop().catch(() => undefined)
    await rm(workDir, { recursive: true, force: true })
  }
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)))
  try {
    ceph = await startCeph(join(workDir, 'ceph'))
    log(`wharf on S3 vs ${environment.reference}, node ${environment.node}, load ${environment.loadAtStart}, radosgw at ${ceph.s3.endpoint}`)
    const file = async (name, size) => ({ path: join(workDir, name), size, digest: await createRandomBlobFile(join(workDir, name), size) })
    const blobs = { push: await file('push.bin', options.size), commit: [] }
    for (const size of options.commitSizes) blobs.commit.push(await file(`commit-${size}.bin`, size))
    const samples = {}
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      log(`— repetition ${repetition + 1} of ${options.repetitions} (${(await ceph.availableBytes()) / MiB | 0} MiB free in radosgw)`)
      await measureRound(ceph, workDir, blobs, repetition, samples)
    }
    const stale = (await distStamp()).join() === builtAt ? undefined : 'a package was rebuilt during the run: later rounds may have measured other code'
    const rows = toRows(samples)
    log(`\nmedians of ${options.repetitions} repetition(s); ratio = wharf / reference\n\n${toText(rows)}`)
    await mkdir(dirname(options.out), { recursive: true })
    await writeFile(options.out, toMarkdown(rows, samples, environment, command, stale))
    log(`\nwrote ${relative(process.cwd(), options.out)}`)
  } finally {
    await cleanUp()
  }
}

main().catch((error) => {
  process.stderr.write(`benchmark failed: ${error?.stack ?? error}\n`)
  process.exit(1)
})
