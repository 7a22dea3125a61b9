// Does a long-lived server's memory settle, or keep growing? (issue 16, goal 5). One process per
// registry serves round after round of the field benchmark's mix; after each round, once the
// server has been quiet for --quiet seconds, its RSS is read. A server that leaks grows round
// after round; one that only keeps warm caches and code levels off.
//
//   node benchmarks/soak.mjs [--rounds=5] [--size=512] [--layers=96,64,64,48,32] [--quiet=30]
//                            [--out=benchmarks/results/soak.md] [--tmp=DIR] [--servers=wharf,wharf-shipped,reference]
//
// Each round, on each server (alternating which goes first): one `curl -T` push of a --size MiB
// blob into a new repository, three `curl` pulls of it, a skopeo push of a new random image and a
// skopeo pull of it into a local dir, 10 s of wrk GET of a manifest at 32 connections, then 30 s
// at 200 connections. Peak RSS is sampled every 20 ms throughout.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { curlPull, curlPush, rssMB, sampleRss, skopeoCopy, wrkGet } from './lib/field-tools.mjs'
import { writeRandomImageLayout } from './lib/oci-layout.mjs'
import { SHIPPED_MALLOC_TUNABLES, startReference, startWharf } from './lib/servers.mjs'
import { manifestAccept, pushSmallImage } from './lib/small-image.mjs'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    size: { type: 'string', default: '512' },
    layers: { type: 'string', default: '96,64,64,48,32' },
    quiet: { type: 'string', default: '30' },
    out: { type: 'string', default: 'benchmarks/results/soak.md' },
    tmp: { type: 'string', default: tmpdir() },
    servers: { type: 'string', default: 'wharf,wharf-shipped,reference' },
    'wharf-cli': { type: 'string', default: 'packages/server/dist/cli.js' },
    'reference-bin': { type: 'string', default: '/usr/bin/docker-registry' },
  },
})
const rounds = Number(opts.rounds)
const size = Number(opts.size) * 1024 * 1024
const quietMs = Number(opts.quiet) * 1000
const work = await mkdtemp(join(resolve(opts.tmp), 'wharf-soak-'))
const servers = []
const cleanUp = async () => {
  for (const server of servers) await server.stop().catch(() => undefined)
  await rm(work, { recursive: true, force: true })
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)))

try {
  const blob = join(work, 'blob')
  await writeFile(blob, randomBytes(size))
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(blob)) hash.update(chunk)
  const digest = `sha256:${hash.digest('hex')}`
  const kinds = opts.servers.split(',')
  if (kinds.includes('wharf')) servers.push(await startWharf({ cli: resolve(opts['wharf-cli']), workDir: work, name: 'wharf', env: { GLIBC_TUNABLES: '' } }))
  // As the container image and `npm start` run it: with their glibc malloc thresholds.
  if (kinds.includes('wharf-shipped')) {
    const server = await startWharf({ cli: resolve(opts['wharf-cli']), workDir: work, name: 'wharf-shipped', env: { GLIBC_TUNABLES: SHIPPED_MALLOC_TUNABLES } })
    servers.push({ ...server, kind: 'wharf-shipped' })
  }
  if (kinds.includes('reference')) servers.push(await startReference({ bin: opts['reference-bin'], workDir: work, name: 'reference' }))
  const rows = []
  const startRss = {}
  for (const server of servers) startRss[server.kind] = await rssMB(server.pid)
  let manifestPath = ''
  for (const server of servers) manifestPath = new URL((await pushSmallImage(server.url, 'soak/small', 'v1')).manifestUrl).pathname
  const layout = join(work, 'layout')
  for (let round = 1; round <= rounds; round++) {
    await writeRandomImageLayout(layout, opts.layers.split(',').map(Number))
    const order = round % 2 === 1 ? servers : [...servers].reverse()
    for (const server of order) {
      const host = new URL(server.url).host
      const peak = sampleRss(server.pid)
      await curlPush(server.url, `soak/push${round}`, blob, digest, size)
      for (let i = 0; i < 3; i++) await curlPull(`${server.url}/v2/soak/push${round}/blobs/${digest}`, size)
      await skopeoCopy(`oci:${layout}:latest`, `docker://${host}/soak/image${round}:latest`)
      const target = join(work, `pulled-${server.kind}`)
      await rm(target, { recursive: true, force: true })
      await skopeoCopy(`docker://${host}/soak/image${round}:latest`, `dir:${target}`)
      await rm(target, { recursive: true, force: true })
      const headers = { Accept: manifestAccept }
      await wrkGet(`${server.url}${manifestPath}`, { connections: 32, seconds: 10, headers })
      await wrkGet(`${server.url}${manifestPath}`, { connections: 200, seconds: 30, headers })
      const peakMB = await peak.stop()
      // Quiet: nothing is sent to this server for `quiet` seconds before its RSS is read.
      await new Promise((done) => setTimeout(done, quietMs))
      server.assertAlive()
      const quietMB = await rssMB(server.pid)
      rows.push({ round, kind: server.kind, peakMB, quietMB })
      console.log(`round ${round} ${server.kind.padEnd(9)} peak ${peakMB.toFixed(1)} MB, ${opts.quiet} s quiet ${quietMB.toFixed(1)} MB`)
    }
  }
  await writeFile(resolve(opts.out), toReport(rows, startRss))
  console.log(`written ${opts.out}`)
} finally {
  await cleanUp()
}

function toReport(rows, startRss) {
  const of = (kind, round) => rows.find((r) => r.kind === kind && r.round === round)
  const lines = [
    '# Soak: RSS of one long-lived process per registry, round after round',
    '',
    `Generated by \`node benchmarks/soak.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${rounds} rounds; each round, on each server: a ${opts.size} MiB \`curl -T\` push, three \`curl\` pulls of it, a skopeo push of a new ${opts.layers} MiB image and a skopeo pull of it, 10 s of wrk at 32 connections and 30 s at 200 connections (GET manifest). RSS in MB (10⁶ bytes), read after ${opts.quiet} s without requests. \`wharf\` runs with glibc's malloc defaults (as \`node packages/server/dist/cli.js\` or an npm-installed \`wharf\` runs unless told otherwise), \`wharf-shipped\` with the fixed malloc thresholds the container image and \`npm start\` set (\`GLIBC_TUNABLES=${SHIPPED_MALLOC_TUNABLES}\`). Idle at start: ${Object.entries(startRss).map(([kind, mb]) => `${kind} ${mb.toFixed(1)}`).join(', ')}.`,
    '',
    `| round | ${servers.map((s) => `${s.kind} peak | ${s.kind} quiet`).join(' | ')} |`,
    `| ---: | ${servers.map(() => '---: | ---:').join(' | ')} |`,
  ]
  const cells = (row) => `${row.peakMB.toFixed(1)} | ${row.quietMB.toFixed(1)}`
  for (let round = 1; round <= rounds; round++) lines.push(`| ${round} | ${servers.map((s) => cells(of(s.kind, round))).join(' | ')} |`)
  return `${lines.join('\n')}\n`
}
