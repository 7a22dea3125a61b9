// Performance as users measure it (issue 16): curl, skopeo, wrk and ab against ONE long-lived
// process per registry that serves every round, request-rate load first, then pushes and pulls,
// wharf and the reference interleaved. See README.md, "Field benchmark".
//
//   node benchmarks/field.mjs [--rounds=3] [--pulls=3] [--size=512] [--duration=10]
//                             [--layers=96,64,64,48,32] [--out=benchmarks/results/field.md] [--tmp=DIR]
//                             [--memory-load=30] [--memory-watch=60] [--wharf-malloc=default|shipped]
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { abHead, cpuSeconds, curlPull, curlPush, rssMB, run, sampleRss, skopeoCopy, spawnServer, stopChild, wrkGet } from './lib/field-tools.mjs'
import { writeRandomImageLayout } from './lib/oci-layout.mjs'
import { fieldReport } from './lib/field-report.mjs'
import { SHIPPED_MALLOC_TUNABLES } from './lib/servers.mjs'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    pulls: { type: 'string', default: '3' },
    size: { type: 'string', default: '512' },
    duration: { type: 'string', default: '10' },
    layers: { type: 'string', default: '96,64,64,48,32' },
    out: { type: 'string', default: 'benchmarks/results/field.md' },
    tmp: { type: 'string', default: tmpdir() },
    'wharf-cli': { type: 'string', default: 'packages/server/dist/cli.js' },
    'reference-bin': { type: 'string', default: '/usr/bin/docker-registry' },
    'memory-load': { type: 'string', default: '30' },
    'memory-watch': { type: 'string', default: '60' },
    // `shipped`: wharf with the glibc malloc thresholds the container image and `npm start` set.
    'wharf-malloc': { type: 'string', default: 'default' },
  },
})
if (!['default', 'shipped'].includes(opts['wharf-malloc'])) throw new Error('--wharf-malloc is default or shipped')
const rounds = Number(opts.rounds)
const pulls = Number(opts.pulls)
const size = Number(opts.size) * 1024 * 1024
const duration = Number(opts.duration)
const layerMiB = opts.layers.split(',').map(Number)
const work = await mkdtemp(join(resolve(opts.tmp), 'wharf-field-'))
const children = []
const cleanUp = async () => {
  for (const child of children) await stopChild(child).catch(() => undefined)
  await rm(work, { recursive: true, force: true })
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)))

/** samples[figure][server] = list of values in run order. */
const samples = {}
const note = (figure, server, value) => {
  ;((samples[figure] ??= {})[server] ??= []).push(value)
  console.log(`${figure.padEnd(34)} ${server.padEnd(9)} ${typeof value === 'number' ? value.toFixed(1) : value}`)
}
const manifestAccept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

async function startServers() {
  const wharfRoot = join(work, 'wharf-root')
  const referenceRoot = join(work, 'reference-root')
  await mkdir(wharfRoot)
  await mkdir(referenceRoot)
  // Configured as the measurement: listen address, root, deletes on, log level warn, all
  // else each registry's default (both keep their access log; wharf writes it at info, so not at warn).
  const wharfUrl = 'http://127.0.0.1:5101'
  const wharf = await spawnServer(
    process.execPath,
    [resolve(opts['wharf-cli'])],
    {
      REGISTRY_HTTP_ADDR: '127.0.0.1:5101',
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: wharfRoot,
      REGISTRY_STORAGE_DELETE_ENABLED: 'true',
      REGISTRY_LOG_LEVEL: 'warn',
      NODE_OPTIONS: '',
      GLIBC_TUNABLES: opts['wharf-malloc'] === 'shipped' ? SHIPPED_MALLOC_TUNABLES : '',
    },
    wharfUrl,
  )
  children.push(wharf)
  const config = join(work, 'reference.yml')
  await writeFile(
    config,
    ['version: 0.1', 'log:', '  level: warn', 'http:', '  addr: 127.0.0.1:5102', '  secret: field', 'storage:', '  filesystem:', `    rootdirectory: ${referenceRoot}`, '  delete:', '    enabled: true', ''].join('\n'),
  )
  const referenceUrl = 'http://127.0.0.1:5102'
  const reference = await spawnServer(resolve(opts['reference-bin']), ['serve', config], {}, referenceUrl)
  children.push(reference)
  return [
    { name: 'wharf', url: wharfUrl, pid: wharf.pid, host: '127.0.0.1:5101' },
    { name: 'reference', url: referenceUrl, pid: reference.pid, host: '127.0.0.1:5102' },
  ]
}

async function waitForGet(url) {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url, { method: 'HEAD' }).then((r) => r.ok, () => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not start`)
}

/** Waits until a push sink answers a POST with 202. */
async function waitForPost(url) {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/v2/probe/blobs/uploads/`, { method: 'POST' }).then((r) => r.status === 202, () => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not start`)
}

async function sha256File(path) {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
}

/** The small image of the request-rate runs: a config, a 4 KiB layer, a manifest tagged `latest`. */
async function seedSmallImage(server) {
  const config = join(work, 'small-config.json')
  const layer = join(work, 'small-layer')
  await writeFile(config, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }))
  await writeFile(layer, randomBytes(4096))
  const files = [config, layer]
  const digests = []
  for (const file of files) {
    const digest = await sha256File(file)
    const bytes = (await stat(file)).size
    await curlPush(server.url, 'small/repo', file, digest, bytes)
    digests.push({ digest, size: bytes })
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...digests[0] },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...digests[1] }],
  })
  const put = await fetch(`${server.url}/v2/small/repo/manifests/latest`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  })
  if (put.status !== 201) throw new Error(`manifest PUT on ${server.name}: ${put.status}`)
  return { manifestUrl: `${server.url}/v2/small/repo/manifests/latest`, smallBlobUrl: `${server.url}/v2/small/repo/blobs/${digests[1].digest}` }
}

async function main() {
  const started = new Date()
  const loadStart = loadavg()
  console.log(`work dir ${work}; load average ${loadStart.map((n) => n.toFixed(2)).join(' ')}`)
  const blob = join(work, 'blob')
  await run('sh', ['-c', `head -c ${size} /dev/urandom > ${blob}`])
  const digest = await sha256File(blob)
  const servers = await startServers()
  // The pull ceiling: plain node:http file servers over the same file (bare-file-server.mjs).
  const bares = []
  for (const [mode, port] of [['pooled', 5103], ['stream', 5104]]) {
    const url = `http://127.0.0.1:${port}`
    const child = spawn(process.execPath, [resolve('benchmarks/bare-file-server.mjs'), blob, String(port), mode, '1024'], { stdio: 'ignore' })
    children.push(child)
    await waitForGet(url)
    bares.push({ name: `bare node:http, ${mode} 1 MiB`, url, pid: child.pid })
  }
  // The push ceiling: plain node:http sinks that only hash, or hash and store durably (bare-push-sink.mjs).
  const sinks = []
  const sinkDir = join(work, 'sink')
  await mkdir(sinkDir)
  for (const [mode, port, label] of [['hash', 5105, 'sha256 only'], ['store', 5106, 'sha256 + durable write']]) {
    const url = `http://127.0.0.1:${port}`
    const child = spawn(process.execPath, [resolve('benchmarks/bare-push-sink.mjs'), sinkDir, String(port), mode], { stdio: 'ignore' })
    children.push(child)
    await waitForPost(url)
    sinks.push({ name: `bare node:http sink, ${label}`, url, pid: child.pid })
  }
  for (const sink of sinks) note('idle RSS after start', sink.name, await rssMB(sink.pid))
  for (const server of servers) {
    note('idle RSS after start', server.name, await rssMB(server.pid))
    Object.assign(server, await seedSmallImage(server))
    // The blob every pull reads (pushed once; the measured pushes go to other repositories).
    await curlPush(server.url, 'big/repo', blob, digest, size)
  }
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? servers : [...servers].reverse()
    const layout = join(work, 'layout')
    await writeRandomImageLayout(layout, layerMiB)
    const imageMiB = layerMiB.reduce((a, b) => a + b, 0)
    console.log(`round ${round}/${rounds}, load average ${loadavg()[0].toFixed(2)}`)
    for (const server of order) {
      note('GET manifest by tag, wrk -c32', server.name, await wrkGet(server.manifestUrl, { seconds: duration, headers: { Accept: manifestAccept } }))
      note('HEAD blob, ab -k -c32', server.name, await abHead(server.smallBlobUrl, { seconds: duration }))
      note('GET 4 KiB blob, wrk -c32', server.name, await wrkGet(server.smallBlobUrl, { seconds: duration }))
    }
    for (const server of order) {
      await run('sync', [])
      const rss = sampleRss(server.pid)
      const cpu = await cpuSeconds(server.pid)
      note(`push ${opts.size} MiB, curl -T (POST + PUT)`, server.name, await curlPush(server.url, `push/r${round}`, blob, digest, size))
      note('server CPU s per GiB pushed', server.name, ((await cpuSeconds(server.pid)) - cpu) / (size / 2 ** 30))
      note(`peak RSS during the push`, server.name, await rss.stop())
    }
    for (const sink of round % 2 ? sinks : [...sinks].reverse()) {
      await run('sync', [])
      const rss = sampleRss(sink.pid)
      note(`push ${opts.size} MiB, curl -T (POST + PUT)`, sink.name, await curlPush(sink.url, 'sink', blob, digest, size))
      note(`peak RSS during the push`, sink.name, await rss.stop())
    }
    for (const server of order) {
      const cpu = await cpuSeconds(server.pid)
      for (let i = 0; i < pulls; i++) note(`pull ${opts.size} MiB, curl -o /dev/null`, server.name, await curlPull(`${server.url}/v2/big/repo/blobs/${digest}`, size))
      note('server CPU s per GiB pulled', server.name, ((await cpuSeconds(server.pid)) - cpu) / ((pulls * size) / 2 ** 30))
    }
    for (const bare of round % 2 ? bares : [...bares].reverse()) {
      for (let i = 0; i < pulls; i++) note(`pull ${opts.size} MiB, curl -o /dev/null`, bare.name, await curlPull(bare.url, size))
    }
    for (const server of order) {
      await run('sync', [])
      const seconds = await skopeoCopy(`oci:${layout}:latest`, `docker://${server.host}/skopeo/r${round}:latest`)
      note(`push ${imageMiB} MiB image (${layerMiB.length} layers), skopeo`, server.name, imageMiB / seconds)
    }
    {
      // skopeo's own ceiling: the same copy into a local directory, with no registry and no network.
      const target = join(work, 'copied')
      await run('sync', [])
      const seconds = await skopeoCopy(`oci:${layout}:latest`, `dir:${target}`)
      note(`push ${imageMiB} MiB image (${layerMiB.length} layers), skopeo`, 'bare: skopeo copy to a local dir:', imageMiB / seconds)
      await rm(target, { recursive: true, force: true })
    }
    for (const server of order) {
      const target = join(work, 'pulled')
      await rm(target, { recursive: true, force: true })
      const seconds = await skopeoCopy(`docker://${server.host}/skopeo/r${round}:latest`, `dir:${target}`)
      note(`pull ${imageMiB} MiB image, skopeo`, server.name, imageMiB / seconds)
      await rm(target, { recursive: true, force: true })
    }
  }
  // Memory after a burst of connections: 200 connections for 30 s, then RSS while idle for a minute.
  const memoryLoad = Number(opts['memory-load'])
  for (const server of servers) {
    const before = await rssMB(server.pid)
    note('RSS before the 200-connection load', server.name, before)
    const rss = sampleRss(server.pid, 100)
    await wrkGet(server.manifestUrl, { connections: 200, seconds: memoryLoad, headers: { Accept: manifestAccept } })
    note('peak RSS during the 200-connection load', server.name, await rss.stop())
    const loadEnded = Date.now()
    for (const after of [1, 10, 30, 60].filter((s) => s <= Number(opts['memory-watch']))) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, loadEnded + after * 1000 - Date.now())))
      note(`RSS ${after} s after the load`, server.name, await rssMB(server.pid))
    }
  }
  const report = fieldReport({ samples, started, ended: new Date(), loadStart, loadEnd: loadavg(), opts, layerMiB })
  await writeFile(opts.out, report)
  console.log(`\nwrote ${opts.out}`)
}

try {
  await main()
} finally {
  await cleanUp()
}
