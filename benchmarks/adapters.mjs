#!/usr/bin/env node
// The price of each framework adapter: the same registry (filesystem driver) behind node:http,
// Express 5 and 4, Koa 3 and 2, Fastify 5 and Hono (fetch handler on @hono/node-server), each in its
// own server process, measured in the same run and reported as a ratio to the bare node:http listener.
//
//   node benchmarks/adapters.mjs            # 256 MiB blob, 3 interleaved rounds, 5 s request-rate runs
//   node benchmarks/adapters.mjs --quick    # 64 MiB, 1 round, 2 s runs (smoke run)
//   options: --size MiB  --rounds N  --duration s  --connections N  --only name,name  --tmp DIR
//            --bare-baseline   load only the framework a server uses (default: all, in every server;
//                              see "Heap size" in packages/http-adapter/README.md for why)
//
// Needs the packages built (`pnpm run build`), curl and ab (apache2-utils). Blob figures use the
// clients of benchmarks/lib (single-POST push streamed from a file, curl pull to /dev/null) and the
// manifest rate uses ab, so they compare directly with `node benchmarks/run.mjs`. Each round starts
// every server afresh on an empty root, in a rotated order, and the tables show medians: wall-clock
// throughput, and the server process's CPU time per MiB and per request (from /proc/<pid>/stat),
// which stays comparable when other work shares the machine.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRandomBlobFile } from './lib/blob-file.mjs'
import { assertBlobStored, pullWithCurl, pushSinglePost } from './lib/blob-transfer.mjs'
import { describeLoad } from './lib/environment.mjs'
import { readProcessCpuSeconds } from './lib/process-cpu.mjs'
import { createPeakRssSampler } from './lib/process-memory.mjs'
import { measureRequestRate } from './lib/request-rate.mjs'
import { manifestAccept, pushSmallImage } from './lib/small-image.mjs'
import { median } from './lib/stats.mjs'

const MiB = 2 ** 20
const ADAPTERS = ['node:http', 'express 5', 'express 4', 'koa 3', 'koa 2', 'fastify 5', 'hono']

// ---------------------------------------------------------------------------------------------
// Server side: `--serve <adapter> --root DIR` starts one host app and prints "listening <port>".
// ---------------------------------------------------------------------------------------------

// The frameworks are devDependencies of @wharf/http-adapter (express 4 and koa 2 under aliases).
const fromAdapterPackage = createRequire(new URL('../packages/http-adapter/package.json', import.meta.url))
const framework = async (name) => import(pathToFileURL(fromAdapterPackage.resolve(name)).href)
const defaultOf = (module) => module.default ?? module

/** Every framework module any adapter uses, loaded into each server process when heaps are equalised. */
const ALL_FRAMEWORKS = ['express', 'express4', 'koa', 'koa2', 'fastify', 'hono', '@hono/node-server']

async function serve(adapter, root, equalHeaps) {
  // V8's garbage collector behaves very differently on a heap of a few MB than on one a few MB
  // bigger (see "Heap size" in packages/http-adapter/README.md), so by default every server process
  // loads all the frameworks, whichever it uses: the comparison is between request paths, not heaps.
  if (equalHeaps) for (const name of ALL_FRAMEWORKS) await framework(name)
  const { createRegistry } = await import('@wharf/core')
  const { createFsDriver } = await import('@wharf/storage-fs')
  const { toNodeListener, toFetchHandler } = await import('@wharf/http-adapter')
  const registry = createRegistry({ storage: createFsDriver({ root }) })
  const { createServer } = await import('node:http')
  let server
  if (adapter === 'node:http') {
    server = createServer(toNodeListener(registry))
  } else if (adapter.startsWith('express')) {
    const express = defaultOf(await framework(adapter === 'express 5' ? 'express' : 'express4'))
    const { createExpressRouter } = await import('@wharf/http-adapter/express')
    const app = express()
    app.use(createExpressRouter(registry))
    app.use(express.json())
    server = createServer(app)
  } else if (adapter.startsWith('koa')) {
    const Koa = defaultOf(await framework(adapter === 'koa 3' ? 'koa' : 'koa2'))
    const { createKoaMiddleware } = await import('@wharf/http-adapter/koa')
    const app = new Koa()
    app.use(createKoaMiddleware(registry))
    server = createServer(app.callback())
  } else if (adapter === 'fastify 5') {
    const Fastify = defaultOf(await framework('fastify'))
    const { wharfFastify } = await import('@wharf/http-adapter/fastify')
    const app = Fastify()
    await app.register(wharfFastify, { registry })
    await app.listen({ port: 0, host: '127.0.0.1' })
    process.stdout.write(`listening ${app.server.address().port}\n`)
    return
  } else if (adapter === 'hono') {
    const hono = await framework('hono')
    const Hono = hono.Hono ?? hono.default.Hono
    const nodeServer = await framework('@hono/node-server')
    const createAdaptorServer = nodeServer.createAdaptorServer ?? nodeServer.default.createAdaptorServer
    const app = new Hono()
    const wharf = toFetchHandler(registry)
    app.all('/v2', (c) => wharf(c.req.raw))
    app.all('/v2/*', (c) => wharf(c.req.raw))
    server = createAdaptorServer({ fetch: app.fetch })
  } else {
    throw new Error(`unknown adapter ${adapter}`)
  }
  server.keepAliveTimeout = 65_000
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`))
}

// ---------------------------------------------------------------------------------------------
// Client side: start each server, push, pull, measure the manifest rate, stop.
// ---------------------------------------------------------------------------------------------

function toOptions(argv) {
  const quick = argv.includes('--quick')
  const value = (flag, fallback) => {
    const at = argv.indexOf(flag)
    return at === -1 ? fallback : argv[at + 1]
  }
  const options = {
    sizeMiB: Number(value('--size', quick ? 64 : 256)),
    rounds: Number(value('--rounds', quick ? 1 : 3)),
    durationSeconds: Number(value('--duration', quick ? 2 : 5)),
    connections: Number(value('--connections', 32)),
    only: value('--only', undefined)?.split(',') ?? ADAPTERS,
    tmp: value('--tmp', tmpdir()),
    equalHeaps: !argv.includes('--bare-baseline'),
  }
  for (const name of options.only) if (!ADAPTERS.includes(name)) throw new Error(`--only: unknown adapter "${name}" (known: ${ADAPTERS.join(', ')})`)
  if (!options.only.includes('node:http')) options.only.unshift('node:http')
  for (const key of ['sizeMiB', 'rounds', 'durationSeconds', 'connections']) {
    if (!(options[key] > 0)) throw new Error(`--${key}: expected a positive number`)
  }
  return options
}

/** Starts `--serve adapter` in a child process; resolves once it listens. */
async function startServer(adapter, root, equalHeaps) {
  const args = [fileURLToPath(import.meta.url), '--serve', adapter, '--root', root, ...(equalHeaps ? ['--equal-heaps'] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${adapter} server exited with ${code} before listening`)
  })
  const port = await Promise.race([
    (async () => {
      for await (const line of lines) {
        const match = /^listening (\d+)$/.exec(line)
        if (match) return Number(match[1])
      }
      throw new Error(`${adapter} server closed its output before listening`)
    })(),
    exited,
  ])
  exited.catch(() => undefined)
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

async function measureAdapter(adapter, options, blob, workDir) {
  const root = await mkdtemp(join(workDir, 'root-'))
  const server = await startServer(adapter, root, options.equalHeaps)
  try {
    const sampler = createPeakRssSampler(server.pid)
    let cpu = readProcessCpuSeconds(server.pid)
    const pushSeconds = await pushSinglePost(server.url, 'bench/blob', blob)
    const pushCpu = readProcessCpuSeconds(server.pid) - cpu
    const peakRss = sampler.stop()
    await assertBlobStored(server.url, 'bench/blob', blob)
    cpu = readProcessCpuSeconds(server.pid)
    const pullSeconds = await pullWithCurl(server.url, 'bench/blob', blob)
    const pullCpu = readProcessCpuSeconds(server.pid) - cpu
    const { manifestUrl } = await pushSmallImage(server.url, 'bench/app', 'latest')
    const rate = await measureRequestRate({
      url: manifestUrl,
      method: 'GET',
      headers: { Accept: manifestAccept },
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      pid: server.pid,
    })
    const mib = blob.size / MiB
    return {
      push: mib / pushSeconds,
      pull: mib / pullSeconds,
      manifest: rate.requestsPerSecond,
      pushCpu: (pushCpu * 1000) / mib,
      pullCpu: (pullCpu * 1000) / mib,
      manifestCpu: rate.cpuMicrosPerRequest,
      peakRssMB: peakRss / 1e6,
    }
  } finally {
    await server.stop()
    await rm(root, { recursive: true, force: true })
  }
}

/** One table: for each metric, the median (or `aggregate`) per adapter and its ratio to node:http. */
function toTable(options, samples, metrics, aggregate = median) {
  const at = (name, key) => aggregate(samples.get(name).map((s) => s[key]))
  const rows = [['adapter', ...metrics.flatMap((m) => [m.label, '× node'])]]
  for (const name of options.only) {
    rows.push([name, ...metrics.flatMap((m) => [at(name, m.key).toFixed(m.digits ?? 0), (at(name, m.key) / at('node:http', m.key)).toFixed(2)])])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n')
}

async function main(argv) {
  const options = toOptions(argv)
  const log = (line) => process.stdout.write(`${line}\n`)
  const workDir = await mkdtemp(join(options.tmp, 'wharf-bench-adapters-'))
  try {
    log(`node ${process.version}, load average ${describeLoad()}; ${options.sizeMiB} MiB blob, ${options.rounds} round(s), manifest GET at c=${options.connections} for ${options.durationSeconds} s`)
    log(options.equalHeaps ? 'every server process loads all frameworks (equal heaps; --bare-baseline to turn off)' : 'bare baseline: each server process loads only its own framework')
    const size = Math.round(options.sizeMiB * MiB)
    const path = join(workDir, 'blob')
    const blob = { path, size, digest: await createRandomBlobFile(path, size) }
    const samples = new Map(options.only.map((name) => [name, []]))
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order so no adapter always runs first (cold) or last (warm page cache, busier disk).
      const order = options.only.map((_, i) => options.only[(i + round) % options.only.length])
      for (const adapter of order) {
        const result = await measureAdapter(adapter, options, blob, workDir)
        samples.get(adapter).push(result)
        log(
          `round ${round + 1} ${adapter}: push ${result.push.toFixed(0)} MiB/s (${result.pushCpu.toFixed(2)} CPU ms/MiB), ` +
            `pull ${result.pull.toFixed(0)} MiB/s (${result.pullCpu.toFixed(2)} CPU ms/MiB), ` +
            `manifest ${result.manifest.toFixed(0)} req/s (${result.manifestCpu.toFixed(0)} CPU µs/req), peak RSS ${result.peakRssMB.toFixed(0)} MB`,
        )
      }
    }
    log(`\nmedians of ${options.rounds} round(s), ratio to node:http in the same run (load average now ${describeLoad()})`)
    log('\nwall-clock throughput (higher is better; swings with other load on the machine):\n')
    log(toTable(options, samples, [
      { key: 'push', label: 'push MiB/s' },
      { key: 'pull', label: 'pull MiB/s' },
      { key: 'manifest', label: 'GET manifest req/s' },
    ]))
    log("\nthe server process's CPU time per unit of work (lower is better; hardly affected by other load):\n")
    log(toTable(options, samples, [
      { key: 'pushCpu', label: 'push ms/MiB', digits: 2 },
      { key: 'pullCpu', label: 'pull ms/MiB', digits: 2 },
      { key: 'manifestCpu', label: 'GET manifest µs/req' },
      { key: 'peakRssMB', label: 'peak RSS push MB' },
    ]))
    // A blob transfer's CPU cost is bimodal on this kind of heap: some runs pay for a burst of full
    // garbage collections, whichever adapter serves them (see the README). The cheapest run of each
    // shows what the request path itself costs.
    log('\nthe same CPU times, cheapest round of each (the request path without collection bursts):\n')
    log(toTable(options, samples, [
      { key: 'pushCpu', label: 'push ms/MiB', digits: 2 },
      { key: 'pullCpu', label: 'pull ms/MiB', digits: 2 },
      { key: 'manifestCpu', label: 'GET manifest µs/req' },
    ], (values) => Math.min(...values)))
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

const argv = process.argv.slice(2)
if (argv[0] === '--serve') {
  serve(argv[1], argv[argv.indexOf('--root') + 1], argv.includes('--equal-heaps')).catch((error) => {
    process.stderr.write(`${error.stack}\n`)
    process.exit(1)
  })
} else {
  main(argv).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`)
    process.exitCode = 1
  })
}
