import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Administration of the local Ceph cluster behind a radosgw endpoint (started by test/ceph/start-ceph.sh). */
export interface CephAdmin {
  /** Bytes the OSD can still store. Its memstore holds everything in RAM and is capped (`memstore device bytes`). */
  availableBytes(): Promise<number>
  /**
   * Frees the space of deleted objects now. radosgw only marks the data of a deleted multipart object
   * for garbage collection, which by default runs hours later: without this, every big test blob
   * would keep its RAM until the cluster stops.
   */
  collectGarbage(): Promise<void>
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined)
}

/** The ceph.conf of the radosgw process serving 127.0.0.1:`port`, found through /proc. */
async function findConfig(port: string): Promise<string | undefined> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue
    const argv = (await readText(`/proc/${pid}/cmdline`))?.split('\0') ?? []
    if (basename(argv[0] ?? '') !== 'radosgw') continue
    const config = argv[argv.indexOf('-c') + 1]
    if (argv.indexOf('-c') < 0 || !config) continue
    if ((await readText(config))?.includes(`endpoint=127.0.0.1:${port}\n`)) return config
  }
  return undefined
}

/**
 * Finds the Ceph cluster serving `endpoint` on this machine, or `undefined` when the endpoint is no
 * radosgw started by start-ceph.sh (another S3 server given through WHARF_S3_ENDPOINT): then there is
 * nothing to check or collect.
 */
export async function findCephAdmin(endpoint: string): Promise<CephAdmin | undefined> {
  const url = new URL(endpoint)
  if (url.hostname !== '127.0.0.1' || !url.port) return undefined
  const config = await findConfig(url.port)
  if (!config) return undefined
  const runDir = /^run dir = (.+)$/m.exec((await readText(config)) ?? '')?.[1]?.trim()
  const socket = runDir ? (await readdir(runDir).catch(() => [] as string[])).find((name) => /^osd\.\d+\.asok$/.test(name)) : undefined
  if (!runDir || !socket) return undefined
  return {
    async availableBytes() {
      const { stdout } = await run('ceph', ['--admin-daemon', join(runDir, socket), 'perf', 'dump', 'osd'])
      return (JSON.parse(stdout) as { osd: { stat_bytes_avail: number } }).osd.stat_bytes_avail
    },
    async collectGarbage() {
      await run('radosgw-admin', ['-c', config, 'gc', 'process', '--include-all'], { timeout: 60_000 })
    },
  }
}
