// How much per-request work a registry can do and still answer manifest GETs at 10x the reference
// (issue 16, goal 4). On one machine, in interleaved rounds, each server one long-lived process:
// the reference registry, wharf, and bare-manifest-server.mjs (node:http doing only what every
// manifest GET by tag must: two stats, the same headers and body) with 0 to 30 µs (in steps of 5) of
// busy work added per request. The bare rows show what each microsecond of a registry's own work
// costs in throughput here, so wharf's row reads as "equivalent to N µs of extra work".
//
//   node benchmarks/request-budget.mjs [--rounds=3] [--seconds=5] [--connections=32] [--spins=0,5,10,15,20,25,30]
//                                      [--out=benchmarks/results/request-budget.md] [--tmp=DIR]
//
// Load: ab -k at --connections for --seconds (after a 1 s warm-up), GET with the manifest Accept
// header. CPU µs/request is the server process's user+system time over the counted run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { describeLoad } from './lib/environment.mjs'
import { measureRequestRate } from './lib/request-rate.mjs'
import { startBareManifestServer, startReference, startWharf } from './lib/servers.mjs'
import { manifestAccept, pushSmallImage } from './lib/small-image.mjs'
import { median } from './lib/stats.mjs'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    spins: { type: 'string', default: '0,5,10,15,20,25,30' },
    out: { type: 'string', default: 'benchmarks/results/request-budget.md' },
    tmp: { type: 'string', default: tmpdir() },
    'wharf-cli': { type: 'string', default: 'packages/server/dist/cli.js' },
    'reference-bin': { type: 'string', default: '/usr/bin/docker-registry' },
  },
})
const work = await mkdtemp(join(resolve(opts.tmp), 'wharf-budget-'))
const arms = []
try {
  const reference = await startReference({ bin: opts['reference-bin'], workDir: work, name: 'reference' })
  arms.push({ name: 'reference (distribution)', server: reference, url: (await pushSmallImage(reference.url, 'bench/small', 'v1')).manifestUrl })
  const wharf = await startWharf({ cli: resolve(opts['wharf-cli']), workDir: work, name: 'wharf' })
  arms.push({ name: 'wharf', server: wharf, url: (await pushSmallImage(wharf.url, 'bench/small', 'v1')).manifestUrl })
  for (const spin of opts.spins.split(',').map(Number)) {
    const bare = await startBareManifestServer({ workDir: work, name: `bare-${spin}`, spinMicros: spin })
    arms.push({ name: `bare node:http + ${spin} µs`, spin, server: bare, url: `${bare.url}/v2/bench/small/manifests/v1` })
  }
  for (const arm of arms) arm.samples = []
  for (let round = 0; round < Number(opts.rounds); round++) {
    // Alternate the order, so no arm always runs right after the same neighbour.
    for (const arm of round % 2 ? [...arms].reverse() : arms) {
      arm.server.assertAlive()
      const result = await measureRequestRate({
        url: arm.url,
        method: 'GET',
        headers: { Accept: manifestAccept },
        connections: Number(opts.connections),
        durationSeconds: Number(opts.seconds),
        pid: arm.server.pid,
      })
      arm.samples.push(result)
      console.log(`round ${round + 1} ${arm.name}: ${result.requestsPerSecond.toFixed(0)} req/s, ${result.cpuMicrosPerRequest.toFixed(1)} µs CPU/request`)
    }
  }
  await writeFile(opts.out, toReport(arms))
  console.log(`wrote ${opts.out}`)
} finally {
  for (const arm of arms) await arm.server.stop().catch(() => undefined)
  await rm(work, { recursive: true, force: true })
}

function toReport(arms) {
  const rate = (arm) => median(arm.samples.map((s) => s.requestsPerSecond))
  const reference = rate(arms[0])
  const goal = reference * 10
  const rows = arms.map((arm) => {
    const rates = arm.samples.map((s) => s.requestsPerSecond)
    const cpu = median(arm.samples.map((s) => s.cpuMicrosPerRequest))
    return `| ${arm.name} | ${rate(arm).toFixed(0)} | ${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)} | ${cpu.toFixed(1)} | ${(rate(arm) / reference).toFixed(2)}× |`
  })
  const bare = arms.filter((arm) => arm.spin !== undefined)
  const within = bare.filter((arm) => rate(arm) >= goal).map((arm) => arm.spin)
  const wharf = rate(arms[1])
  const below = bare.filter((arm) => rate(arm) <= wharf).map((arm) => arm.spin)
  return [
    '# Per-request budget for manifest GET (issue 16, goal 4)',
    '',
    `${new Date().toISOString()}, node ${process.version}, ${opts.rounds} interleaved rounds of ab -k -c${opts.connections} for ${opts.seconds} s each, load average at the end ${describeLoad()}.`,
    'Each server is one long-lived process on the same disk; `bare node:http + N µs` is benchmarks/bare-manifest-server.mjs (two stats, the same response) with N µs of busy work per request.',
    '',
    '| server | req/s (median) | min–max | CPU µs/request (median) | × reference |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `10× the reference here is ${goal.toFixed(0)} req/s. Bare node:http reaches it with ${within.length ? `at most ${Math.max(...within)} µs` : 'none'} of added work per request;`,
    `wharf's rate is at or below that of bare node:http with ${below.length ? `${Math.min(...below)} µs` : 'more than the largest spin'} of added work.`,
    '',
  ].join('\n')
}
