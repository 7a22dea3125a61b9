// Pull-through cache: a 512 MiB blob pulled cold (through wharf from the upstream), warm (from
// wharf's storage) and directly from the upstream (Debian's docker-registry, distribution 2.8).
// Usage: node benchmarks/mirror.mjs [sizeMiB=512] [rounds=3]
// Builds first: `pnpm --filter @wharf/core --filter @wharf/storage-fs --filter @wharf/http-adapter build`.
// The client is curl in its own process (-o /dev/null), so the pulling side costs wharf no CPU;
// rounds interleave the three kinds, each cold pull on a fresh wharf storage directory.
import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMirror, createRegistry } from '../packages/core/dist/index.js'
import { createFsDriver } from '../packages/storage-fs/dist/index.js'
import { startRegistry } from '../packages/http-adapter/dist/index.js'

const [sizeMiB = 512, rounds = 3] = process.argv.slice(2, 4).map(Number)
const dir = await mkdtemp(join(tmpdir(), 'wharf-mirror-bench-'))
const port = 20000 + Math.floor(Math.random() * 20000)
const upstreamUrl = `http://127.0.0.1:${port}`
await writeFile(join(dir, 'registry.yml'), `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'upstream')}\nhttp:\n  addr: 127.0.0.1:${port}\n`)
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AWS_CA_BUNDLE'))
const upstream = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: 'ignore', env })
for (;;) {
  if (await fetch(`${upstreamUrl}/v2/`).then((r) => r.ok, () => false)) break
  await new Promise((resolve) => setTimeout(resolve, 50))
}

const bytes = randomBytes(sizeMiB * 1024 * 1024)
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const start = await fetch(`${upstreamUrl}/v2/bench/big/blobs/uploads/`, { method: 'POST' })
const location = new URL(start.headers.get('location'), upstreamUrl)
location.searchParams.set('digest', digest)
const put = await fetch(location, { method: 'PUT', body: bytes })
if (put.status !== 201) throw new Error(`upstream push: ${put.status}`)

/** Seconds curl took to download `url` (body discarded). */
async function pull(url) {
  // Asynchronous: wharf runs in this process and must keep serving while curl pulls.
  const { stdout: out } = await promisify(execFile)('curl', ['-s', '-f', '--max-time', '300', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url], { encoding: 'utf8' })
  const [seconds, size] = out.trim().split(' ').map(Number)
  if (size !== bytes.length) throw new Error(`pulled ${size} bytes of ${bytes.length}`)
  return seconds
}

const results = { cold: [], warm: [], direct: [] }
for (let round = 0; round < rounds; round++) {
  const registry = createRegistry({ storage: createFsDriver({ root: join(dir, `wharf-${round}`) }), mirror: createMirror({ upstreams: [{ url: upstreamUrl, prefix: '' }] }) })
  const server = await startRegistry(registry)
  const path = `/v2/bench/big/blobs/${digest}`
  results.direct.push(await pull(`${upstreamUrl}${path}`))
  results.cold.push(await pull(`${server.url}${path}`))
  results.warm.push(await pull(`${server.url}${path}`))
  await server.close()
  await registry.close()
  await rm(join(dir, `wharf-${round}`), { recursive: true, force: true })
}
upstream.kill('SIGTERM')
await rm(dir, { recursive: true, force: true })

const mib = bytes.length / 2 ** 20
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`node ${process.version}, ${new Date().toISOString()}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${sizeMiB} MiB, ${rounds} rounds`)
console.log('| pull | median | MiB/s | runs (s) |')
console.log('|---|---|---|---|')
for (const [kind, runs] of Object.entries(results)) {
  console.log(`| ${kind} | ${median(runs).toFixed(2)} s | ${(mib / median(runs)).toFixed(0)} | ${runs.map((s) => s.toFixed(2)).join(', ')} |`)
}
