import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { runCommand } from '../../../../../test-support/interop/commands.js'

/** A running distribution 2.8 (Debian's docker-registry) with htpasswd auth, on loopback. */
export interface Registry2Upstream {
  url: string
  host: string
  /** `Authorization` value for the configured user. */
  basic: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Starts docker-registry on a filesystem root under `dir` with an htpasswd file (bcrypt, made by
 * apache2-utils' htpasswd) holding `user`; resolves once `/v2/` answers (401 without credentials).
 */
export async function startRegistry2Upstream(dir: string, user: string, password: string): Promise<Registry2Upstream> {
  const port = await freePort()
  const htpasswd = join(dir, 'htpasswd')
  await runCommand('htpasswd', ['-Bbc', htpasswd, user, password])
  const config = join(dir, 'registry2.yml')
  await writeFile(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'auth:',
    '  htpasswd:',
    '    realm: upstream',
    `    path: ${htpasswd}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n'))
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AWS_CA_BUNDLE'))
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'], env })
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`)
    if (await fetch(`${url}/v2/`).then((r) => r.status === 401, () => false)) break
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${stderr}`)
    // Polls a process that prints nothing when ready (log level warn).
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    basic: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** Pushes `bytes` as a blob of `repository` (monolithic upload); returns its digest. */
export async function pushBlob(url: string, authorization: string, repository: string, bytes: Uint8Array, digest: string): Promise<void> {
  const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { Authorization: authorization } })
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`)
  const location = new URL(start.headers.get('location')!, url)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { Authorization: authorization, 'Content-Type': 'application/octet-stream' } })
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`)
}
