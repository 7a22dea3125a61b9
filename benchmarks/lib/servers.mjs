import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

/**
 * A registry server running as its own process on a fresh, empty storage root.
 *
 * @typedef {object} RunningServer
 * @property {'wharf' | 'reference' | 'bare'} kind
 * @property {number} pid the server process itself (not a wrapper), so /proc/<pid> is its memory
 * @property {string} url base URL, e.g. http://127.0.0.1:40123
 * @property {() => void} assertAlive throws if the process has exited since it started
 * @property {() => Promise<void>} stop SIGTERM (SIGKILL after 10 s), then removes the storage root
 */

/**
 * The glibc malloc settings the container image and `npm start` run wharf with (Dockerfile,
 * scripts/start.sh): fixed mmap and trim thresholds, so freed buffers go back to the system.
 */
export const SHIPPED_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072'

/**
 * Starts wharf's standalone server (node:http + filesystem driver) with logging at warn and its
 * access log off, as the reference is configured: neither writes a line per request.
 */
export async function startWharf({ cli, workDir, name, cpuProfDir, env = {} }) {
  const root = join(workDir, `${name}-root`)
  await mkdir(root, { recursive: true })
  const port = await findFreePort()
  const profiling = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []
  const child = spawn(process.execPath, [...profiling, cli], {
    env: {
      ...process.env,
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root,
      REGISTRY_LOG_LEVEL: 'warn',
      REGISTRY_LOG_ACCESSLOG_DISABLED: 'true',
      NODE_OPTIONS: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return await toRunningServer('wharf', child, root, port)
}

/** Starts the reference registry (distribution) with a config written the way the brief prescribes. */
export async function startReference({ bin, workDir, name }) {
  const root = join(workDir, `${name}-root`)
  await mkdir(root, { recursive: true })
  const port = await findFreePort()
  const config = join(workDir, `${name}-config.yml`)
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      // A fixed secret only silences the warning it logs at start; it changes no behaviour here.
      '  secret: wharf-benchmark',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  delete:',
      '    enabled: true',
      '',
    ].join('\n'),
  )
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  const server = await toRunningServer('reference', child, root, port)
  const stop = server.stop
  return { ...server, stop: () => stop().then(() => rm(config, { force: true })) }
}

/**
 * Starts bare-manifest-server.mjs: node:http answering every GET as wharf answers a manifest by
 * tag (two stats, the same headers), after `spinMicros` of busy work standing in for a registry's own.
 */
export async function startBareManifestServer({ workDir, name, spinMicros }) {
  const root = join(workDir, `${name}-root`)
  await mkdir(root, { recursive: true })
  const port = await findFreePort()
  const script = new URL('../bare-manifest-server.mjs', import.meta.url).pathname
  const child = spawn(process.execPath, [script, root, String(port), String(spinMicros)], { stdio: ['ignore', 'pipe', 'pipe'] })
  return await toRunningServer('bare', child, root, port)
}

async function toRunningServer(kind, child, root, port) {
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const keep = (chunk) => {
    // Only the tail matters for an error report; keep memory bounded whatever the server prints.
    output = (output + chunk.toString()).slice(-8192)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = null
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = { code, signal }
  })
  const describe = () => `${kind} server (pid ${child.pid}) ${exited ? `exited with ${exited.code ?? exited.signal}` : 'is running'}; its output:\n${output}`
  try {
    await waitUntilReady(url, () => exited !== null)
  } catch (error) {
    child.kill('SIGKILL')
    await rm(root, { recursive: true, force: true })
    throw new Error(`${error.message}\n${describe()}`)
  }
  let stopped = false
  return {
    kind,
    pid: child.pid,
    url,
    assertAlive() {
      if (exited) throw new Error(`the ${describe()}`)
    },
    async stop() {
      if (stopped) return
      stopped = true
      if (!exited) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exit
        clearTimeout(timer)
      }
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** Polls GET /v2/ until it answers 200 (both servers allow anonymous access by default). */
async function waitUntilReady(url, hasExited) {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('server exited before it was ready')
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`server at ${url} was not ready within 15 s`)
}

/** A port that was free a moment ago (the kernel's choice for port 0). */
async function findFreePort() {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}
