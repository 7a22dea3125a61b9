import { execFile, spawn } from 'node:child_process'
import { mkdtemp, open, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const script = (name: string) => fileURLToPath(new URL(`../../ceph/${name}`, import.meta.url))

/**
 * A throw-away Ceph cluster (monitor, memstore OSD, radosgw) owned by one test file, separate from
 * the shared one of the global setup, so that the test may take its S3 endpoint away.
 */
export interface OwnCeph {
  /** `http://127.0.0.1:PORT` of radosgw. */
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  /** The bucket start-ceph.sh created. */
  bucket: string
  /**
   * Stops radosgw only (SIGTERM, waits until it is gone): the endpoint refuses connections while the
   * monitor and the OSD keep the data, as when an S3 server goes down behind a stable address.
   */
  stopGateway(): Promise<void>
  /** Starts radosgw again with the same command line (same port, same cluster, same data); resolves once it answers HTTP 200. */
  startGateway(): Promise<void>
  /** Stops every daemon and removes the directory (stop-ceph.sh). Safe to call twice. */
  stop(): Promise<void>
}

/** Starts a cluster in a fresh temporary directory with start-ceph.sh, on free loopback ports, with `bucket` created. */
export async function startOwnCeph(bucket: string): Promise<OwnCeph> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-ceph-own-'))
  const stop = async () => {
    await run(script('stop-ceph.sh'), [dir], { timeout: 60_000 })
  }
  let output: string
  try {
    output = (await run(script('start-ceph.sh'), [dir], { timeout: 120_000, env: { ...process.env, S3_BUCKET: bucket } })).stdout
  } catch (error) {
    await stop()
    throw new Error(`start-ceph.sh failed (logs were in ${dir}/log): ${(error as { stderr?: string }).stderr ?? String(error)}`)
  }
  const env = new Map(output.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
  const pidFile = join(dir, 'rgw.pid')
  // The argv of the running radosgw, kept to start the same gateway again.
  const argv = (await readFile(`/proc/${(await readFile(pidFile, 'utf8')).trim()}/cmdline`, 'utf8')).split('\0').filter(Boolean)
  const endpoint = env.get('WHARF_S3_ENDPOINT')!

  return {
    endpoint,
    accessKeyId: env.get('WHARF_S3_ACCESS_KEY')!,
    secretAccessKey: env.get('WHARF_S3_SECRET')!,
    bucket,
    async stopGateway() {
      const pid = Number((await readFile(pidFile, 'utf8')).trim())
      process.kill(pid, 'SIGTERM')
      await waitUntil(async () => !isAlive(pid), 20_000, 'radosgw to exit')
    },
    async startGateway() {
      // Output to a file, not a pipe: radosgw must not block on a pipe nobody reads.
      const log = await open(join(dir, 'log', 'rgw-restarted.out'), 'a')
      try {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log.fd, log.fd], detached: true })
        child.unref()
        // stop-ceph.sh stops whatever rgw.pid names.
        await writeFile(pidFile, `${child.pid}\n`)
        await waitUntil(async () => (await fetch(endpoint).catch(() => undefined))?.status === 200, 60_000, 'radosgw to answer again')
      } finally {
        await log.close()
      }
    },
    stop,
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `check` every 50 ms until it holds; rejects naming `what` after `ms`. */
export async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
