import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readProcessCpuSeconds } from './process-cpu.mjs'

const execFileAsync = promisify(execFile)

/**
 * Requests per second one URL sustains under `connections` keep-alive connections for
 * `durationSeconds`, measured with ApacheBench (`ab -k`, plus `-i` for HEAD). ab is used rather than
 * autocannon or wrk because both of those wait for the body a HEAD answer's Content-Length announces
 * and so never complete a HEAD request; ab is also a single C thread, the cheapest load generator at
 * hand, which matters because it shares the machine's cores with the server. A one-second warm-up run
 * comes first and is not counted. When given the server's `pid`, also returns its CPU time per
 * request of the counted run (`cpuMicrosPerRequest`, otherwise undefined). Throws if any request failed or got a non-2xx answer: a fast error is not a
 * result.
 */
export async function measureRequestRate({ url, method, headers = {}, connections, durationSeconds, pid }) {
  await runAb({ url, method, headers, connections, durationSeconds: 1 })
  const cpuBefore = pid === undefined ? undefined : readProcessCpuSeconds(pid)
  const result = await runAb({ url, method, headers, connections, durationSeconds })
  if (cpuBefore === undefined) return { ...result, cpuMicrosPerRequest: undefined }
  const cpuSeconds = readProcessCpuSeconds(pid) - cpuBefore
  return { ...result, cpuMicrosPerRequest: (cpuSeconds * 1e6) / result.complete }
}

async function runAb({ url, method, headers, connections, durationSeconds }) {
  // ab keeps a record per request and stops at whichever of -t and -n comes first; -n must follow -t
  // (-t resets it to 50 000), and is sized far above what this machine can serve in the time.
  const args = ['-q', '-k', '-c', String(connections), '-t', String(durationSeconds), '-n', String(Math.ceil(durationSeconds * 100_000))]
  if (method === 'HEAD') args.push('-i')
  else if (method !== 'GET') throw new Error(`ab can only send GET and HEAD here, not ${method}`)
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  let stdout
  try {
    ;({ stdout } = await execFileAsync('ab', [...args, url], { maxBuffer: 1 << 20 }))
  } catch (error) {
    throw new Error(`ab ${method} ${url} failed: ${error.stderr || error.message}`)
  }
  const read = (pattern) => Number(pattern.exec(stdout)?.[1] ?? NaN)
  const complete = read(/^Complete requests:\s+(\d+)/m)
  const failed = read(/^Failed requests:\s+(\d+)/m)
  const non2xx = read(/^Non-2xx responses:\s+(\d+)/m) || 0
  const requestsPerSecond = read(/^Requests per second:\s+([\d.]+)/m)
  if (!(complete > 0) || failed !== 0 || non2xx !== 0 || !(requestsPerSecond > 0)) {
    throw new Error(`ab ${method} ${url}: ${complete} complete, ${failed} failed, ${non2xx} non-2xx:\n${stdout}`)
  }
  return { requestsPerSecond, complete, p99LatencyMs: read(/^\s+99%\s+(\d+)/m) }
}
