/**
 * Runs every server example the way its README says (`pnpm --filter @wharf/example-<name> start`),
 * on a free port and a temporary storage root, and pushes and pulls a real image through it with
 * skopeo. The examples import the built packages, so this needs `pnpm run build` first (the
 * repository's `pnpm test` does it); without a build the tests are skipped, saying so.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const BUILT = ['core', 'storage-fs', 'http-adapter'].every((p) => existsSync(join(REPO_ROOT, 'packages', p, 'dist', 'index.js')))
if (!BUILT) console.warn('examples.test.ts: skipped, the packages are not built (run `pnpm run build` at the repository root)')

const EXAMPLES = [
  { name: 'node-http', ownRoute: false, tls: false, onDisk: true },
  { name: 'express', ownRoute: true, tls: false, onDisk: true },
  { name: 'koa', ownRoute: true, tls: false, onDisk: true },
  { name: 'fastify', ownRoute: true, tls: false, onDisk: true },
  { name: 'hono', ownRoute: true, tls: false, onDisk: true },
  { name: 'https', ownRoute: false, tls: true, onDisk: true },
  // Serves its in-memory driver: REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY does not apply.
  { name: 'custom-driver', ownRoute: false, tls: false, onDisk: false },
]

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Starts the example's `start` script in its own process group; resolves once it says it listens. */
async function startExample(name: string, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('pnpm', ['--silent', '--filter', `@wharf/example-${name}`, 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 20_000
  while (!/ on https?:\/\//.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`example ${name} did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { child, output: () => output }
}

function stopExample(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(-child.pid!, 'SIGTERM') // the whole group: pnpm, its shell and node
  return exited
}

/** GET over https, trusting exactly the certificate the example generated. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.skipIf(!BUILT)('the server examples, started with their start script', () => {
  let work: string
  let layout: string
  let pushedDigest: string
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-examples-'))
    layout = join(work, 'image')
    await run('umoci', ['init', '--layout', layout])
    await run('umoci', ['new', '--image', `${layout}:v1`])
    await writeFile(join(work, 'hello.txt'), 'hello from an example\n')
    await run('umoci', ['insert', '--image', `${layout}:v1`, join(work, 'hello.txt'), '/hello.txt'])
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
    pushedDigest = index.manifests[0]!.digest
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  for (const example of EXAMPLES) {
    it(`${example.name}: listens on REGISTRY_HTTP_ADDR${example.onDisk ? ', stores under REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY' : ''}, and skopeo pushes and pulls through it`, async () => {
      const port = await freePort()
      const root = join(work, `root-${example.name}`)
      const address = `127.0.0.1:${port}`
      const { child, output } = await startExample(example.name, { REGISTRY_HTTP_ADDR: address, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root })
      try {
        const scheme = example.tls ? 'https' : 'http'
        expect(output()).toContain(`${scheme}://${address}/v2/`)
        if (example.tls) {
          const ca = await readFile(join(REPO_ROOT, 'examples', 'https', 'certs', 'cert.pem'))
          expect((await httpsGet(`https://${address}/v2/`, ca)).status).toBe(200)
        } else {
          expect((await fetch(`http://${address}/v2/`)).status).toBe(200)
          if (example.ownRoute) expect(await (await fetch(`http://${address}/`)).text()).toContain('container registry under /v2/')
        }

        const ref = `docker://${address}/examples/hello:v1`
        await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, ref])
        const pulled = join(work, `pulled-${example.name}`)
        await run('skopeo', ['copy', '--src-tls-verify=false', ref, `oci:${pulled}:v1`])
        const { stdout: raw } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref])
        expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(pushedDigest)
        if (example.onDisk) expect((await readdir(root)).length).toBeGreaterThan(0)
      } finally {
        await stopExample(child)
      }
    })
  }
})
