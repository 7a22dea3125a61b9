import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** True when Debian's `docker-registry` (distribution 2.8, the reference registry:2) is installed. */
export const hasReferenceRegistry = !spawnSync('docker-registry', ['--version']).error
export const hasSkopeo = !spawnSync('skopeo', ['--version']).error

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A running reference registry. */
export interface ReferenceRegistry {
  url: string
  host: string
  stop(): Promise<void>
}

/**
 * Starts registry:2 on loopback with its own config: `storageYaml` (the `storage:` driver section,
 * indented two spaces), deletes enabled, warnings only. Resolves once `/v2/` answers; the wait polls
 * because registry:2 prints nothing when it is ready at `log.level: warn`.
 */
export async function startReferenceRegistry(dir: string, storageYaml: string): Promise<ReferenceRegistry> {
  const port = await freePort()
  const config = join(dir, 'registry2-config.yml')
  await writeFile(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', storageYaml, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'))
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AWS_CA_BUNDLE')) })
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`)
    const ok = await fetch(`${url}/v2/`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
