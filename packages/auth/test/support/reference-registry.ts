import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** True when Debian's `docker-registry` (distribution 2.8, the reference registry:2) is installed. */
export const hasReferenceRegistry = !spawnSync('docker-registry', ['--version']).error

/** A free loopback port (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Starts registry:2 on a loopback port with the given `auth:` section (YAML lines, indented by two
 * spaces) and filesystem storage in a temporary directory; resolves once it answers `/v2/`.
 */
export async function startReferenceRegistry(authYaml: string): Promise<{ url: string; host: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-registry2-'))
  const port = await freePort()
  const config = join(dir, 'config.yml')
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      'auth:',
      authYaml,
      '',
    ].join('\n'),
  )
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`)
    try {
      await fetch(`${url}/v2/`)
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
