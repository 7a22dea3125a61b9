import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** Runs a command, resolving to its stdout; rejects with its stderr when it fails. */
export async function run(command, args, options = {}) {
  try {
    const { stdout } = await exec(command, args, { maxBuffer: 64 * 1024 * 1024, ...options })
    return stdout
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed: ${error.stderr || error.message}`)
  }
}

/** Resident set size of a process now, in MB (10^6 bytes). */
export async function rssMB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1000 * 1.024
}

/** Samples VmRSS every `ms` until stopped; `stop()` resolves to the peak seen, in MB. */
export function sampleRss(pid, ms = 20) {
  let peak = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await rssMB(pid).catch(() => 0))
      await new Promise((resolve) => setTimeout(resolve, ms))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      return Math.max(peak, await rssMB(pid).catch(() => 0))
    },
  }
}

/** User + system CPU seconds a process has used so far (all threads). */
export async function cpuSeconds(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * The monolithic upload `curl -T` users do: POST to open a session (no body), then PUT the file to
 * the Location with `?digest=`. Returns MiB/s over both requests (curl's time for each, summed).
 */
export async function curlPush(baseUrl, repo, file, digest, size) {
  const head = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', '-w', '%{time_total}', '-X', 'POST', `${baseUrl}/v2/${repo}/blobs/uploads/`])
  const location = /^location:\s*(\S+)/im.exec(head)?.[1]
  if (!/ 202 /.test(head.split('\n')[0]) || !location) throw new Error(`POST ${repo}: ${head.split('\n')[0]}`)
  // -w prints the time after the headers -D - wrote.
  const postSeconds = Number(head.slice(head.lastIndexOf('\n') + 1))
  const url = new URL(location, baseUrl)
  url.searchParams.set('digest', digest)
  const out = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-T', file, '-H', 'Content-Type: application/octet-stream', url.href])
  const [code, seconds] = out.trim().split(' ')
  if (code !== '201') throw new Error(`PUT ${repo}: status ${code}`)
  return size / 1048576 / (Number(seconds) + postSeconds)
}

/** `curl -o /dev/null` of a blob: MiB/s as curl reports it; checks the byte count. */
export async function curlPull(url, size) {
  const out = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{speed_download}', url])
  const [code, bytes, speed] = out.trim().split(' ')
  if (code !== '200' || Number(bytes) !== size) throw new Error(`GET ${url}: status ${code}, ${bytes} bytes`)
  return Number(speed) / 1048576
}

/** wrk GET at `connections` for `seconds`: requests/s; fails on any non-2xx or socket error. */
export async function wrkGet(url, { connections = 32, seconds = 10, headers = {} } = {}) {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency']
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  const out = await run('wrk', [...args, url])
  if (/Non-2xx/.test(out)) throw new Error(`wrk ${url}: non-2xx answers\n${out}`)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  if (errors && errors.slice(1, 4).some((n) => Number(n) > 0)) throw new Error(`wrk ${url}: socket errors\n${out}`)
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1])
}

/** ab -k -i (HEAD; wrk never completes a HEAD) at `connections` for `seconds`: requests/s. */
export async function abHead(url, { connections = 32, seconds = 10 } = {}) {
  const out = await run('ab', ['-q', '-k', '-i', '-c', String(connections), '-t', String(seconds), '-n', '100000000', url])
  if (/Non-2xx responses/.test(out) || !/Failed requests:\s+0\b/.test(out)) throw new Error(`ab ${url}: failures\n${out}`)
  return Number(/Requests per second:\s+([\d.]+)/.exec(out)[1])
}

/** `skopeo copy` between two references; resolves to the wall-clock seconds it took. */
export async function skopeoCopy(from, to) {
  const started = process.hrtime.bigint()
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', from, to])
  return Number(process.hrtime.bigint() - started) / 1e9
}

/** A child process stopped with SIGTERM (SIGKILL after 10 s). */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await once(child, 'exit')
  clearTimeout(timer)
}

/** Spawns a long-running server and waits until GET /v2/ answers 200. */
export async function spawnServer(command, args, env, url) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)))
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    const ok = await fetch(`${url}/v2/`).then((r) => r.arrayBuffer().then(() => r.status === 200), () => false)
    if (ok) return child
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`${command} did not start at ${url}: ${stderr}`)
}
