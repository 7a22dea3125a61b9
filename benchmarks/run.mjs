#!/usr/bin/env node
// wharf against the reference registry (distribution), same machine, same run. See README.md.
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRandomBlobFile } from './lib/blob-file.mjs'
import { summarizeCpuProfiles } from './lib/cpu-profile-summary.mjs'
import { describeEnvironment, describeLoad } from './lib/environment.mjs'
import { toBenchOptions, UsageError } from './lib/options.mjs'
import { ceilingHeadings, comparisonHeadings, declinedFootnote, flatToleranceMB, toMarkdownTable, toResultRows, toTextTable } from './lib/report.mjs'
import { probeSinglePost, pushFlows, runRound } from './lib/round.mjs'
import { snapshotWharf } from './lib/wharf-snapshot.mjs'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const log = (line) => process.stdout.write(`${line}\n`)

async function main() {
  let options
  try {
    options = toBenchOptions(process.argv.slice(2), process.env)
  } catch (error) {
    process.stderr.write(`${error.message}\n`)
    return 2
  }
  await assertPrerequisites(options)
  const environment = await describeEnvironment(options.referenceBin, repoRoot)
  const command = ['node', relative(repoRoot, process.argv[1]), ...process.argv.slice(2)].join(' ')
  const workDir = await mkdtemp(join(options.tmp, 'wharf-bench-'))
  const context = { options, workDir, log, blobs: new Map(), samples: new Map(), ceiling: { node: [], nodeCpu: [], openssl: undefined }, running: new Set() }
  const cleanUp = async () => {
    await Promise.allSettled([...context.running].map((server) => server.stop()))
    await rm(workDir, { recursive: true, force: true })
  }
  let interrupted = false
  const onSignal = (signal) => {
    interrupted = true
    log(`\n${signal}: stopping the servers and removing ${workDir}`)
    void cleanUp().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    if (options.cpuProfDir) await mkdir(options.cpuProfDir, { recursive: true })
    // Every wharf process of the run starts from this one copy of the build (see wharf-snapshot.mjs).
    options.wharfCli = await snapshotWharf(options.wharfCli, join(workDir, 'wharf'))
    log(`wharf vs ${environment.reference}, node ${environment.node}, ${environment.cpuModel} × ${environment.cores}, load average ${environment.loadAtStart}`)
    log(`sizes ${options.sizesMiB.join(', ')} MiB, ${options.repetitions} repetition(s), ${options.durationSeconds} s request-rate runs at c=${options.connections}, work dir ${workDir}`)
    for (const sizeMiB of options.sizesMiB) {
      const path = join(workDir, `blob-${sizeMiB}mib`)
      const size = Math.round(sizeMiB * 2 ** 20)
      context.blobs.set(sizeMiB, { path, size, digest: await createRandomBlobFile(path, size) })
    }
    context.singlePost = await probeSinglePost(context)
    for (const kind of ['wharf', 'reference']) if (!context.singlePost[kind]) log(`${kind} declines single-POST uploads (202): that flow is not measured on it`)
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      log(`\n— repetition ${repetition + 1} of ${options.repetitions}`)
      await runRound(context, repetition)
    }
  } catch (error) {
    // After Ctrl-C the servers are being stopped under the measurement; that failure is expected.
    if (interrupted) return new Promise(() => {})
    process.stderr.write(`\nmeasurement failed: ${error instanceof Error ? error.stack : String(error)}\n`)
    await cleanUp()
    return 1
  }
  await cleanUp()
  environment.loadAtEnd = describeLoad()

  const rows = toResultRows({ ...context, sizesMiB: options.sizesMiB, connections: options.connections, flows: pushFlows })
  log(`\nmedians of ${options.repetitions} repetition(s); ratio = wharf / reference\n`)
  log(toTextTable(rows.comparison, comparisonHeadings))
  if (rows.comparison.some((row) => row.label.endsWith('¹'))) log(declinedFootnote)
  log('')
  log(toTextTable(rows.ceiling, ceilingHeadings))
  const profiles = options.cpuProfDir ? await summarizeCpuProfiles(options.cpuProfDir) : undefined
  if (profiles) log(`\nCPU profiles of wharf (self time), from ${options.cpuProfDir}:\n\n${profiles}`)
  await mkdir(dirname(options.out), { recursive: true })
  await writeFile(options.out, toMarkdown({ options, environment, command, rows, context, profiles }))
  log(`\nwrote ${relative(process.cwd(), options.out)}`)
  return 0
}

function toMarkdown({ options, environment, command, rows, context, profiles }) {
  const raw = [...context.samples].map(([key, { wharf, reference }]) => {
    const scale = key.startsWith('rss') || key === 'idle-rss' ? 1e6 : 1
    const list = (values) => values.map((value) => (value / scale).toFixed(1)).join(', ')
    return `| ${key} | ${list(wharf)} | ${list(reference)} |`
  })
  raw.push(`| sha256 node MiB/s (wall clock) | ${context.ceiling.node.map((v) => v.toFixed(0)).join(', ')} | |`)
  raw.push(`| sha256 node MiB/s (CPU time) | ${context.ceiling.nodeCpu.map((v) => v.toFixed(0)).join(', ')} | |`)
  if (context.ceiling.openssl) raw.push(`| sha256 openssl MiB/s (CPU time) | ${context.ceiling.openssl.map((v) => v.toFixed(0)).join(', ')} | |`)
  return `# wharf vs the reference registry

- date: ${environment.date}
- command: \`${command}\` (after \`pnpm run build\`)
- wharf: commit ${environment.wharf} (the built packages/*/dist, copied once at the start)
- node: ${environment.node}; reference: ${environment.reference}
- CPU: ${environment.cpuModel}, ${environment.cores} cores; kernel ${environment.kernel}; ${environment.memoryGiB} GiB RAM
- load average (1, 5, 15 min) at start: ${environment.loadAtStart}; at end: ${environment.loadAtEnd} (other work on the machine lowers every figure)
- ${options.repetitions} repetition(s), server order alternating; figures are medians; sizes ${options.sizesMiB.join(', ')} MiB;
  request-rate runs ${options.durationSeconds} s at ${options.connections} connections (after a 1 s warm-up)
- every push runs against a fresh server process on an empty root in a temp dir on the same disk;
  pushes stream the file through node:http in 1 MiB chunks, pulls use \`curl -o /dev/null\`
- the load generators (the node:http push client, curl, ab) share the ${environment.cores} cores with the server under test;
  the reference registry is multi-threaded (Go) and wharf's server is one Node thread, so they compete differently for them
${options.quick ? '- **--quick smoke run**: small sizes, short runs; not figures to quote\n' : ''}${options.cpuProfDir ? '- **wharf ran under --cpu-prof**: its figures are lowered by the profiler\n' : ''}
## Comparison (ratio = wharf / reference)

${toMarkdownTable(rows.comparison, comparisonHeadings)}
${rows.comparison.some((row) => row.label.endsWith('¹')) ? `\n${declinedFootnote}\n` : ''}
Peak RSS is VmHWM (cross-checked by sampling VmRSS every 20 ms) of a server process that served only
that push. Server CPU is user + system time of the server process (all its threads) from /proc/<pid>/stat
during the push or the counted request-rate run (start-up excluded); lower is better, and unlike
throughput it hardly moves when other work loads the machine. "Flat" means the peak grows by at most ${flatToleranceMB} MB from the smallest to the largest blob.

## Push ceiling: sha256 on this machine

${toMarkdownTable(rows.ceiling, ceilingHeadings)}

## Every sample (per repetition, in order)

| key | wharf | reference |
| --- | --- | --- |
${raw.join('\n')}

Units: push/pull MiB/s, rss MB (10^6 bytes), cpu-<flow> and cpu-pull CPU s/GiB, cpu-manifest-get/cpu-blob-head CPU µs per request, manifest-get/blob-head req/s.
${profiles ? `\n## CPU profiles of wharf (self time)\n\n${profiles}\n` : ''}`
}

async function assertPrerequisites(options) {
  const missing = []
  await access(options.wharfCli, constants.R_OK).catch(() => missing.push(`${options.wharfCli} (run \`pnpm run build\` first)`))
  await access(options.referenceBin, constants.X_OK).catch(() => missing.push(`${options.referenceBin} (apt-get install docker-registry)`))
  const hasCurl = await Promise.any(['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].map((path) => access(path, constants.X_OK))).then(
    () => true,
    () => false,
  )
  if (!hasCurl) missing.push('curl (apt-get install curl)')
  if (missing.length) throw new Error(`missing: ${missing.join('; ')}`)
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
