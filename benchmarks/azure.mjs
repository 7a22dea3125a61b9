#!/usr/bin/env node
// wharf on Azure Blob (Azurite): blob push and pull through a registry process, commit time at two
// sizes, the server's peak RSS, and the driver's own ingest rate for context. See the --help text.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { availableParallelism, cpus, release, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createRandomBlobFile } from './lib/blob-file.mjs'
import { assertBlobStored, pullWithCurl, pushDockerStyle, pushPostPut, sendSmall } from './lib/blob-transfer.mjs'
import { describeLoad } from './lib/environment.mjs'
import { createPeakRssSampler, readProcessMemory } from './lib/process-memory.mjs'
import { median } from './lib/stats.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const azurePackage = join(root, 'packages/storage-azure')
const registryScript = join(azurePackage, 'test/fixtures/registry-process.mjs')
const MiB = 2 ** 20
const MB = 1e6
/** Azurite's development account (public, documented by Microsoft). */
const account = { accountName: 'devstoreaccount1', accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' }
const log = (line) => process.stdout.write(`${line}\n`)
const usage = `usage: node benchmarks/azure.mjs [--size=MiB] [--commit-sizes=MiB,MiB] [--repetitions=N] [--out=FILE] [--tmp=DIR] [--quick]
  defaults: --size=512 --commit-sizes=64,1024 --repetitions=3 --out=benchmarks/results/azure.md
  --quick:  --size=64 --commit-sizes=16,256 --repetitions=1, and no report file unless --out is given (a smoke run
            must not overwrite the published figures)`

function toOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { size: { type: 'string' }, 'commit-sizes': { type: 'string' }, repetitions: { type: 'string' }, out: { type: 'string' }, tmp: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean' } },
  })
  if (values.help) throw new Error(usage)
  const positive = (text, name) => {
    const value = Number(text)
    if (!(value > 0)) throw new Error(`--${name} must be a positive number\n${usage}`)
    return value
  }
  const quick = values.quick ?? false
  return {
    sizeMiB: positive(values.size ?? (quick ? '64' : '512'), 'size'),
    commitSizesMiB: (values['commit-sizes'] ?? (quick ? '16,256' : '64,1024')).split(',').map((s) => positive(s, 'commit-sizes')),
    repetitions: Math.round(positive(values.repetitions ?? (quick ? '1' : '3'), 'repetitions')),
    out: values.out ?? (quick ? undefined : join(root, 'benchmarks/results/azure.md')),
    tmp: values.tmp ?? tmpdir(),
  }
}

/** Builds core, http-adapter and storage-azure when a dist is missing or older than its sources. */
async function ensureBuilt() {
  const stale = []
  for (const pkg of ['core', 'http-adapter', 'storage-azure']) {
    const built = await stat(join(root, 'packages', pkg, 'dist/index.js')).then((s) => s.mtimeMs, () => 0)
    const sources = await readdir(join(root, 'packages', pkg, 'src'), { recursive: true, withFileTypes: true })
    const newest = Math.max(...(await Promise.all(sources.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.mtimeMs)))))
    if (newest > built) stale.push('--filter', `@wharf/${pkg}`)
  }
  if (stale.length === 0) return
  log(`building ${stale.filter((_, i) => i % 2).join(', ')}`)
  const child = spawn('pnpm', [...stale, 'build'], { cwd: root, stdio: 'inherit' })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`pnpm build exited with ${code}`)
}

async function findFreePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Spawns `command` and resolves once `ready(line)` holds for a line of its stdout (or `probe()` passes). */
async function startProcess(name, command, args, { env, cwd, ready, probe }) {
  const child = spawn(command, args, { env: { ...process.env, NODE_OPTIONS: '', ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (chunk) => (tail = (tail + chunk).slice(-4000))
  child.stderr.on('data', keep)
  let gone = false
  const exit = once(child, 'exit').then(([code, signal]) => (gone = `${code ?? signal}`))
  const lines = createInterface({ input: child.stdout })
  let url
  lines.on('line', (line) => {
    keep(`${line}\n`)
    url ??= ready?.(line)
  })
  const deadline = Date.now() + 30_000
  while (!url) {
    if (gone) throw new Error(`${name} exited (${gone}) before it was ready:\n${tail}`)
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 30 s:\n${tail}`)
    if (probe) url = await probe()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    pid: child.pid,
    assertAlive: () => {
      if (gone) throw new Error(`${name} exited (${gone}):\n${tail}`)
    },
    stop: async () => {
      if (gone) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/** Azurite's blob service in memory on a free loopback port (the flags of packages/storage-azure/test/azurite.ts). */
async function startAzurite(workDir) {
  const port = await findFreePort()
  const cwd = await mkdtemp(join(workDir, 'azurite-'))
  const flags = ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--silent']
  const probe = () =>
    fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.body?.cancel().then(() => `http://127.0.0.1:${port}/${account.accountName}`),
      () => undefined,
    )
  return startProcess('azurite', join(azurePackage, 'node_modules/.bin/azurite-blob'), flags, { cwd, probe })
}

/** One wharf registry process on a fresh container of `endpoint` (test/fixtures/registry-process.mjs). */
function startRegistry(endpoint, container) {
  const env = { WHARF_AZURE_REGISTRY: JSON.stringify({ endpoint, ...account, container }) }
  return startProcess('registry', process.execPath, [registryScript], { env, ready: (line) => JSON.parse(line).listening })
}

/** Chunk `n` of generated blob `blob`: a random base with both numbers in it, a fresh copy each time. */
function toChunk(base, blob, n) {
  const chunk = Buffer.from(base)
  chunk.writeUInt32BE(n, 0)
  chunk.writeUInt32BE(blob, 4)
  return chunk
}

/**
 * Docker's flow with generated bytes: POST, one PATCH streaming `size` bytes with chunked transfer
 * encoding (node:http, backpressure respected), then the PUT ?digest= that commits, timed alone.
 */
async function pushTimedCommit(baseUrl, repo, blob, size, base) {
  const opened = await sendSmall(`${baseUrl}/v2/${repo}/blobs/uploads/`, 'POST')
  if (opened.status !== 202) throw new Error(`POST: ${opened.status} ${opened.body}`)
  const req = request(new URL(opened.headers.location, baseUrl), { method: 'PATCH', agent: false, headers: { 'Content-Type': 'application/octet-stream' } })
  const answered = once(req, 'response').then(([res]) => (res.resume(), once(res, 'end').then(() => res)))
  answered.catch(() => {})
  const hash = createHash('sha256')
  for (let n = 0; n * MiB < size; n++) {
    const chunk = toChunk(base, blob, n).subarray(0, Math.min(MiB, size - n * MiB))
    hash.update(chunk)
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), answered])
  }
  req.end()
  const patched = await answered
  if (patched.statusCode !== 202) throw new Error(`PATCH: ${patched.statusCode}`)
  const put = new URL(patched.headers.location, baseUrl)
  put.searchParams.set('digest', `sha256:${hash.digest('hex')}`)
  const started = performance.now()
  const committed = await sendSmall(put.href, 'PUT')
  const commitMs = performance.now() - started
  if (committed.status !== 201) throw new Error(`PUT: ${committed.status} ${committed.body}`)
  return commitMs
}

/**
 * The driver alone, in this process (no HTTP server, no hashing): append the file to a resumable
 * write and finish it, then read it back. What Azurite allows, against which push and pull compare.
 */
async function measureDriverAlone(endpoint, blobFile) {
  const { createAzureDriver } = await import(join(azurePackage, 'dist/index.js'))
  const driver = createAzureDriver({ endpoint, ...account, container: `bench-driver-${randomBytes(3).toString('hex')}`, createContainer: true })
  let started = performance.now()
  const state = await driver.appendWrite(await driver.startWrite('alone'), createReadStream(blobFile.path, { highWaterMark: MiB }))
  await driver.finishWrite(state)
  const writeSeconds = (performance.now() - started) / 1000
  started = performance.now()
  let read = 0
  for await (const part of await driver.read('alone')) read += part.length
  const readSeconds = (performance.now() - started) / 1000
  if (read !== blobFile.size) throw new Error(`driver read ${read} bytes, expected ${blobFile.size}`)
  await driver.delete('alone')
  return { write: blobFile.size / MiB / writeSeconds, read: blobFile.size / MiB / readSeconds }
}

async function runRepetition(options, workDir, blobFile, samples, repetition) {
  const record = (key, value) => (samples[key] ??= []).push(value)
  const azurite = await startAzurite(workDir)
  try {
    const flows = { 'POST + PUT': pushPostPut, 'POST, PATCH, PUT (docker)': pushDockerStyle }
    for (const [label, push] of Object.entries(flows)) {
      const registry = await startRegistry(azurite.url, `bench-${repetition}-${randomBytes(3).toString('hex')}`)
      try {
        if (push === pushPostPut) record('idle RSS', readProcessMemory(registry.pid).rss / MB)
        const sampler = createPeakRssSampler(registry.pid)
        const seconds = await push(registry.url, 'bench/azure', blobFile)
        const peak = sampler.stop()
        registry.assertAlive()
        await assertBlobStored(registry.url, 'bench/azure', blobFile)
        record(`push ${label}`, blobFile.size / MiB / seconds)
        record(`peak RSS, push ${label}`, peak / MB)
        let line = `push ${label}: ${(blobFile.size / MiB / seconds).toFixed(0)} MiB/s, peak RSS ${(peak / MB).toFixed(1)} MB`
        if (push === pushPostPut) {
          const pullSeconds = await pullWithCurl(registry.url, 'bench/azure', blobFile)
          record('pull', blobFile.size / MiB / pullSeconds)
          record('peak RSS, push + pull', readProcessMemory(registry.pid).hwm / MB)
          line += `; pull ${(blobFile.size / MiB / pullSeconds).toFixed(0)} MiB/s`
        }
        log(line)
      } finally {
        await registry.stop()
      }
    }
    const registry = await startRegistry(azurite.url, `bench-commit-${repetition}`)
    try {
      const base = randomBytes(MiB)
      await pushTimedCommit(registry.url, 'bench/warm', 0, MiB, base)
      const parts = []
      for (const [i, sizeMiB] of options.commitSizesMiB.entries()) {
        const ms = await pushTimedCommit(registry.url, 'bench/commit', i + 1, sizeMiB * MiB, base)
        record(`commit ${sizeMiB} MiB`, ms)
        parts.push(`${sizeMiB} MiB ${ms.toFixed(1)} ms`)
      }
      record(`peak RSS, streamed ${options.commitSizesMiB.at(-1)} MiB`, readProcessMemory(registry.pid).hwm / MB)
      log(`commit (the PUT after a streamed PATCH): ${parts.join(', ')}`)
    } finally {
      await registry.stop()
    }
    const alone = await measureDriverAlone(azurite.url, blobFile)
    record('driver write', alone.write)
    record('driver read', alone.read)
    log(`driver alone: appendWrite + finishWrite ${alone.write.toFixed(0)} MiB/s, read ${alone.read.toFixed(0)} MiB/s`)
  } finally {
    await azurite.stop()
  }
}

function toRows(options, samples) {
  const size = `${options.sizeMiB} MiB`
  const largest = options.commitSizesMiB.at(-1)
  const rows = [
    ['push, POST + PUT ?digest=', size, 'MiB/s', 'push POST + PUT'],
    ['push, POST, streamed PATCH, PUT (docker)', size, 'MiB/s', 'push POST, PATCH, PUT (docker)'],
    ['pull, GET blob (curl)', size, 'MiB/s', 'pull'],
    ...options.commitSizesMiB.map((s) => ['commit: the PUT ?digest= after a streamed PATCH', `${s} MiB`, 'ms', `commit ${s} MiB`]),
    ['server peak RSS (VmHWM), push POST + PUT', size, 'MB', 'peak RSS, push POST + PUT'],
    ['server peak RSS (VmHWM), push docker-style', size, 'MB', 'peak RSS, push POST, PATCH, PUT (docker)'],
    ['server peak RSS (VmHWM), push + pull', size, 'MB', 'peak RSS, push + pull'],
    [`server peak RSS (VmHWM), streamed uploads up to ${largest} MiB`, `${largest} MiB`, 'MB', `peak RSS, streamed ${largest} MiB`],
    ['server idle RSS after start', '', 'MB', 'idle RSS'],
    ['context: driver alone, appendWrite + finishWrite (no HTTP, no hashing)', size, 'MiB/s', 'driver write'],
    ['context: driver alone, read', size, 'MiB/s', 'driver read'],
  ]
  const format = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1))
  return rows.map(([label, at, unit, key]) => [label, at, unit, format(median(samples[key])), samples[key].map(format).join(', ')])
}

function toTable(headings, rows, markdown) {
  if (markdown) return [`| ${headings.join(' | ')} |`, `|${headings.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
  const widths = headings.map((_, i) => Math.max(...[headings, ...rows].map((r) => r[i].length)))
  return [headings, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n')
}

async function main() {
  const options = toOptions(process.argv.slice(2))
  const command = ['node', relative(root, process.argv[1]), ...process.argv.slice(2)].join(' ')
  const azuriteVersion = JSON.parse(readFileSync(join(azurePackage, 'node_modules/azurite/package.json'), 'utf8')).version
  const facts = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), kernel: release(), loadAtStart: describeLoad() }
  await ensureBuilt()
  const workDir = await mkdtemp(join(options.tmp, 'wharf-bench-azure-'))
  const samples = {}
  try {
    log(`wharf on Azurite ${azuriteVersion}, node ${facts.node}, ${facts.cpu} × ${facts.cores}, load average ${facts.loadAtStart}`)
    const blobPath = join(workDir, 'blob.bin')
    const blobFile = { path: blobPath, size: options.sizeMiB * MiB, digest: await createRandomBlobFile(blobPath, options.sizeMiB * MiB) }
    for (let r = 0; r < options.repetitions; r++) {
      log(`\n— repetition ${r + 1} of ${options.repetitions}`)
      await runRepetition(options, workDir, blobFile, samples, r)
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  const headings = ['measurement', 'size', 'unit', 'median', `samples (${options.repetitions})`]
  const rows = toRows(options, samples)
  log(`\n${toTable(headings, rows, false)}`)
  const report = [
    '# wharf on Azure Blob (Azurite)',
    '',
    `- date: ${facts.date}`,
    `- command: \`${command}\` (builds core, http-adapter and storage-azure first if their dist is stale)`,
    `- node: ${facts.node}; Azurite ${azuriteVersion} (\`--inMemoryPersistence\`, blobs kept in its process memory); @azure/storage-blob driver, 8 MiB blocks`,
    `- CPU: ${facts.cpu}, ${facts.cores} cores; kernel ${facts.kernel}`,
    `- load average (1, 5, 15 min) at start: ${facts.loadAtStart}; at end: ${describeLoad()} (other work on the machine lowers every figure)`,
    `- ${options.repetitions} repetition(s), each with a fresh Azurite; figures are medians; MB = 10⁶ bytes`,
    '- server: one Node process (packages/storage-azure/test/fixtures/registry-process.mjs: createRegistry + createAzureDriver + node:http),',
    '  a fresh one per push on a fresh container; pushes stream a random file through node:http in 1 MiB chunks, pulls use `curl -o /dev/null`',
    '- commit: docker-style upload of generated bytes (POST, one chunked PATCH, then the timed PUT ?digest= with no body) on one server process,',
    `  ${options.commitSizesMiB.join(' then ')} MiB after a 1 MiB warm-up; the commit is one Put Block List (one 8 MiB block per 8 MiB: Azurite`,
    '  spends a fraction of a millisecond per block) plus a few small records, and copies no bytes',
    '- Azurite, the client and the server share the 2 cores; Azurite (one Node process holding every blob in memory) sets the pace of',
    '  push and pull, as the driver-alone rows show; against Azure itself the network and the account limits would set it instead',
    '',
    toTable(headings, rows, true),
    '',
  ].join('\n')
  if (!options.out) return
  await mkdir(dirname(options.out), { recursive: true })
  await writeFile(options.out, report)
  log(`\nwrote ${relative(process.cwd(), options.out)}`)
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
