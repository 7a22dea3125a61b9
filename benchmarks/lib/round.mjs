import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { assertBlobStored, pullWithCurl, pushDockerStyle, pushPostPut, pushSinglePost, supportsSinglePost } from './blob-transfer.mjs'
import { readProcessCpuSeconds } from './process-cpu.mjs'
import { createPeakRssSampler, readProcessMemory } from './process-memory.mjs'
import { measureRequestRate } from './request-rate.mjs'
import { startReference, startWharf } from './servers.mjs'
import { manifestAccept, pushSmallImage } from './small-image.mjs'
import { measureNodeSha256, measureOpensslSha256 } from './sha256-ceiling.mjs'

const execFileAsync = promisify(execFile)
const MiB = 2 ** 20

/**
 * The three ways a client pushes a whole blob, by sample-key name: one POST carrying the blob
 * (optional in the spec), POST then PUT carrying the blob (the monolithic upload every registry
 * supports), and Docker's POST, one streamed PATCH, PUT with no body.
 */
export const pushFlows = {
  post: { label: 'single POST ?digest=', push: pushSinglePost },
  postput: { label: 'POST + PUT ?digest=', push: pushPostPut },
  docker: { label: 'POST, PATCH, PUT (docker)', push: pushDockerStyle },
}

/**
 * Which servers complete a single-POST upload; probed once on a throwaway server of each kind so no
 * measured process serves an extra request. Returns { wharf: boolean, reference: boolean }.
 */
export async function probeSinglePost(context) {
  const support = {}
  for (const kind of ['wharf', 'reference']) {
    const server = await start(context, kind, `${kind}-probe`)
    try {
      support[kind] = await supportsSinglePost(server.url)
    } finally {
      await stop(server)
    }
  }
  return support
}

/**
 * One repetition of every measurement on both servers. Every push gets a fresh server process on
 * an empty root, so its VmHWM is the peak of that push alone and no earlier blob can make a later
 * push shorter. The server order alternates between repetitions so neither always runs on a
 * warmer (or dirtier) page cache. Results are appended to `samples` (metric key → { wharf, reference }).
 *
 * @param {object} context options, blobs (size in MiB → BlobFile), workDir, samples, ceiling, log
 * @param {number} repetition 0-based
 */
export async function runRound(context, repetition) {
  const { options, blobs, samples, ceiling, log } = context
  const kinds = repetition % 2 === 0 ? ['wharf', 'reference'] : ['reference', 'wharf']
  const record = (key, kind, value) => {
    const entry = samples.get(key) ?? { wharf: [], reference: [] }
    samples.set(key, entry)
    entry[kind].push(value)
  }

  for (const sizeMiB of options.sizesMiB) {
    const blob = blobs.get(sizeMiB)
    for (const [flow, { label, push }] of Object.entries(pushFlows)) {
      for (const kind of kinds) {
        if (flow === 'post' && !context.singlePost[kind]) continue
        const server = await start(context, kind, `${kind}-${flow}-${sizeMiB}mib-r${repetition + 1}`)
        try {
          if (flow === 'postput' && sizeMiB === options.sizesMiB[0]) record('idle-rss', kind, readProcessMemory(server.pid).rss)
          const repo = `bench/${flow}`
          const sampler = createPeakRssSampler(server.pid)
          const cpuBefore = readProcessCpuSeconds(server.pid)
          let seconds
          try {
            seconds = await push(server.url, repo, blob)
          } finally {
            record(`rss-${flow}:${sizeMiB}`, kind, sampler.stop())
          }
          server.assertAlive()
          record(`cpu-${flow}:${sizeMiB}`, kind, (readProcessCpuSeconds(server.pid) - cpuBefore) / (blob.size / 2 ** 30))
          await assertBlobStored(server.url, repo, blob)
          record(`push-${flow}:${sizeMiB}`, kind, blob.size / MiB / seconds)
          let line = `${kind.padEnd(9)} ${sizeMiB} MiB push ${label.padEnd(25)} ${(blob.size / MiB / seconds).toFixed(0).padStart(5)} MiB/s`
          if (flow === 'postput') {
            const pullCpuBefore = readProcessCpuSeconds(server.pid)
            const pullSeconds = await pullWithCurl(server.url, repo, blob)
            server.assertAlive()
            record(`pull:${sizeMiB}`, kind, blob.size / MiB / pullSeconds)
            record(`cpu-pull:${sizeMiB}`, kind, (readProcessCpuSeconds(server.pid) - pullCpuBefore) / (blob.size / 2 ** 30))
            line += `, pull ${(blob.size / MiB / pullSeconds).toFixed(0)} MiB/s`
          }
          const rss = samples.get(`rss-${flow}:${sizeMiB}`)[kind].at(-1) / 1e6
          const cpu = samples.get(`cpu-${flow}:${sizeMiB}`)[kind].at(-1)
          log(`${line}, peak RSS ${rss.toFixed(1)} MB, ${cpu.toFixed(2)} CPU s/GiB`)
        } finally {
          await stop(server)
        }
      }
    }
  }

  for (const kind of kinds) {
    const server = await start(context, kind, `${kind}-metadata-r${repetition + 1}`)
    try {
      const { manifestUrl, blobUrl } = await pushSmallImage(server.url, 'bench/small', 'latest')
      const load = { connections: options.connections, durationSeconds: options.durationSeconds, pid: server.pid }
      const manifest = await measureRequestRate({ url: manifestUrl, method: 'GET', headers: { Accept: manifestAccept }, ...load })
      server.assertAlive()
      const head = await measureRequestRate({ url: blobUrl, method: 'HEAD', ...load })
      server.assertAlive()
      record('manifest-get', kind, manifest.requestsPerSecond)
      record('blob-head', kind, head.requestsPerSecond)
      record('cpu-manifest-get', kind, manifest.cpuMicrosPerRequest)
      record('cpu-blob-head', kind, head.cpuMicrosPerRequest)
      log(
        `${kind.padEnd(9)} GET manifest ${manifest.requestsPerSecond.toFixed(0)} req/s (p99 ${manifest.p99LatencyMs} ms, ${manifest.cpuMicrosPerRequest.toFixed(0)} CPU µs/req), ` +
          `HEAD blob ${head.requestsPerSecond.toFixed(0)} req/s (p99 ${head.p99LatencyMs} ms, ${head.cpuMicrosPerRequest.toFixed(0)} CPU µs/req)`,
      )
    } finally {
      await stop(server)
    }
  }

  // The ceiling is measured while no server runs, once per repetition like everything else.
  const largest = blobs.get(options.sizesMiB.at(-1))
  const nodeSha = await measureNodeSha256(largest.path)
  ceiling.node.push(nodeSha.wallClock)
  ceiling.nodeCpu.push(nodeSha.cpuTime)
  const opensslSha = await measureOpensslSha256(options.quick ? 1 : 3)
  if (opensslSha !== undefined) (ceiling.openssl ??= []).push(opensslSha)
  log(`sha256: node ${nodeSha.wallClock.toFixed(0)} MiB/s (${nodeSha.cpuTime.toFixed(0)} MiB/s of CPU time), openssl ${opensslSha === undefined ? 'n/a' : `${opensslSha.toFixed(0)} MiB/s`}`)
}

async function start(context, kind, name) {
  const { options, workDir, running } = context
  const server =
    kind === 'wharf'
      ? await startWharf({ cli: options.wharfCli, workDir, name, cpuProfDir: options.cpuProfDir })
      : await startReference({ bin: options.referenceBin, workDir, name })
  running.add(server)
  return server
}

async function stop(server) {
  await server.stop()
  // Write back (or drop, for the removed root) this server's dirty pages now, not during the next
  // server's measurement.
  await execFileAsync('sync')
}
