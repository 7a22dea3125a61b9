import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePackagesBuilt, startExample, type ExampleProcess } from './support/example-process.js'
import { writeOciLayout } from './support/oci-layout.js'
import { createIsolatedPodman, hasPodman, importTinyImage, toImageId } from './support/podman.js'
import { freePort } from './support/reference-registry.js'

const run = promisify(execFile)
const hasSkopeo = !spawnSync('skopeo', ['--version']).error
if (!hasSkopeo) console.warn('skipping the token-auth example test: skopeo not installed')

async function skopeo(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('skopeo', args, { timeout: 60_000 })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }
  }
}

const SCRIPT = 'examples/token-auth/server.mjs'
const READY = 'registry on http://'

describe.skipIf(!hasSkopeo)('examples/token-auth: registry and token endpoint on one server', () => {
  let dir = ''
  let dataDir = ''
  let layout = ''
  let host = ''
  let server: ExampleProcess | undefined
  let password = ''
  const authFile = () => join(dir, 'auth.json')
  const start = () => startExample(SCRIPT, { REGISTRY_HTTP_ADDR: host, WHARF_DATA_DIR: dataDir }, READY)

  beforeAll(async () => {
    ensurePackagesBuilt(['auth', 'http-adapter', 'storage-fs'])
    dir = mkdtempSync(join(tmpdir(), 'wharf-token-example-'))
    dataDir = join(dir, 'data')
    layout = writeOciLayout()
    host = `127.0.0.1:${await freePort()}`
    server = await start()
  })
  afterAll(async () => {
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (layout) rmSync(layout, { recursive: true, force: true })
  })

  it('creates an htpasswd file and a signing key readable by the owner only, and prints the password once', () => {
    const printed = /user admin, password (\S+)/.exec(server!.output())
    expect(printed, server!.output()).not.toBeNull()
    password = printed![1]!
    expect(readFileSync(join(dataDir, 'htpasswd'), 'utf8')).toMatch(/^admin:\$2y\$10\$/)
    expect(readFileSync(join(dataDir, 'token.key'), 'utf8')).toContain('BEGIN PRIVATE KEY')
    for (const file of ['htpasswd', 'token.key']) expect(statSync(join(dataDir, file)).mode & 0o777).toBe(0o600)
  })

  it('sends clients without a token to /token on the same server', async () => {
    const response = await fetch(`http://${host}/v2/`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="http://${host}/token",service="wharf-registry"`)
  })

  it('issues tokens through the OAuth2 form that containerd posts', async () => {
    const form = new URLSearchParams({ grant_type: 'password', username: 'admin', password, service: 'wharf-registry', scope: 'repository:demo/app:pull' })
    const response = await fetch(`http://${host}/token`, { method: 'POST', body: form })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { access_token?: string }).access_token).toMatch(/^eyJ/)
  })

  it('refuses skopeo login with a wrong password', async () => {
    const login = await skopeo('login', '--tls-verify=false', '--authfile', authFile(), '-u', 'admin', '-p', 'wrong', host)
    expect(login.ok).toBe(false)
    expect(login.output).toMatch(/unauthorized|invalid username\/password/i)
  })

  it('lets skopeo log in with the printed password, push an image and copy it back unchanged', async () => {
    const login = await skopeo('login', '--tls-verify=false', '--authfile', authFile(), '-u', 'admin', '-p', password, host)
    expect(login.output).toMatch(/Login Succeeded/)
    const pushed = await skopeo('copy', '--authfile', authFile(), '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${host}/demo/app:v1`)
    expect(pushed.output).not.toMatch(/unauthorized|denied/i)
    expect(pushed.ok).toBe(true)
    const pulled = await skopeo('copy', '--authfile', authFile(), '--src-tls-verify=false', `docker://${host}/demo/app:v1`, `oci:${join(dir, 'pulled')}:v1`)
    expect(pulled.ok).toBe(true)
    const manifestOf = (path: string) => (JSON.parse(readFileSync(join(path, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }).manifests[0]!.digest
    expect(manifestOf(join(dir, 'pulled'))).toBe(manifestOf(layout))
  })

  it.skipIf(!hasPodman)('lets podman log in, push and pull with the same password', async () => {
    const podman = createIsolatedPodman()
    try {
      const podmanAuth = join(podman.dir, 'auth.json')
      const imageId = await importTinyImage(podman, 'localhost/wharf-test/tiny:v1')
      expect((await podman.run('login', '--tls-verify=false', '--authfile', podmanAuth, '-u', 'admin', '-p', password, host)).output).toMatch(/Login Succeeded/)
      const pushed = await podman.run('push', '--tls-verify=false', '--authfile', podmanAuth, 'localhost/wharf-test/tiny:v1', `docker://${host}/demo/podman:v1`)
      expect(pushed.ok, pushed.output).toBe(true)
      expect((await podman.run('rmi', 'localhost/wharf-test/tiny:v1')).ok).toBe(true)
      const pulled = await podman.run('pull', '--tls-verify=false', '--authfile', podmanAuth, `${host}/demo/podman:v1`)
      expect(pulled.ok, pulled.output).toBe(true)
      expect(await toImageId(podman, `${host}/demo/podman:v1`)).toBe(imageId)
    } finally {
      podman.remove()
    }
  })

  it('keeps its users, key and images across a restart', async () => {
    const key = readFileSync(join(dataDir, 'token.key'), 'utf8')
    await server!.stop()
    server = await start()
    expect(server.output()).not.toMatch(/password/)
    expect(readFileSync(join(dataDir, 'token.key'), 'utf8')).toBe(key)
    const inspected = await skopeo('inspect', '--raw', '--authfile', authFile(), '--tls-verify=false', `docker://${host}/demo/app:v1`)
    expect(inspected.output).not.toMatch(/unauthorized|denied/i)
    expect(inspected.ok).toBe(true)
  })
})
