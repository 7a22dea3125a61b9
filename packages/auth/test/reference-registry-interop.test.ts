import { execFile, spawnSync } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { hash } from '@node-rs/bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHtpasswdAuth, createPolicy, createTokenServer } from '@wharf/auth'
import { hasOpenssl, newCertificates } from './support/keys.js'
import { writeOciLayout } from './support/oci-layout.js'
import { hasReferenceRegistry, startReferenceRegistry } from './support/reference-registry.js'
import { serve } from './support/serve.js'

const run = promisify(execFile)
const hasSkopeo = !spawnSync('skopeo', ['--version']).error
const missing = [!hasReferenceRegistry && 'docker-registry', !hasSkopeo && 'skopeo', !hasOpenssl && 'openssl'].filter(Boolean)
if (missing.length > 0) console.warn(`skipping registry:2 interop tests: ${missing.join(', ')} not installed`)

/** Runs skopeo; resolves to its exit status and output instead of throwing. */
async function skopeo(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('skopeo', args, { timeout: 60_000 })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }
  }
}

/**
 * The reference registry (registry:2 = distribution 2.8.2) configured with `auth.token` pointing at
 * our token server and its certificate as `rootcertbundle`; skopeo as the client. This proves the
 * tokens, the `kid`, the claims and the endpoint's answers are what registry:2 and real clients expect.
 */
describe.skipIf(missing.length > 0)('registry:2 with auth.token from createTokenServer, driven by skopeo', () => {
  const work = mkdtempSync(join(tmpdir(), 'wharf-token-interop-'))
  let registry: Awaited<ReturnType<typeof startReferenceRegistry>>
  let tokenServer: Awaited<ReturnType<typeof serve>>
  let layout = ''
  const requests: string[] = []

  beforeAll(async () => {
    const certificates = newCertificates('rsa')
    writeFileSync(join(work, 'bundle.pem'), certificates.caPem)
    const users = await Promise.all(['admin', 'reader'].map(async (user) => `${user}:${await hash(`${user}-pw`, { cost: 5, version: '2y' })}`))
    const issue = createTokenServer({
      issuer: 'wharf-test-issuer',
      service: 'registry.test',
      signingKey: createPrivateKey(certificates.caKeyPem),
      authenticate: createHtpasswdAuth({ content: users.join('\n'), realm: 'wharf' }),
      policy: createPolicy([
        { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
        { who: 'user:reader', on: '**', allow: ['pull'] },
        { who: 'anonymous', on: 'public/**', allow: ['pull'] },
      ]),
    })
    tokenServer = await serve(async (request) => {
      requests.push(`${request.method} ${new URL(request.url).search}`)
      return issue(request)
    })
    registry = await startReferenceRegistry(
      [
        '  token:',
        `    realm: ${tokenServer.url}/token`,
        '    service: registry.test',
        '    issuer: wharf-test-issuer',
        `    rootcertbundle: ${join(work, 'bundle.pem')}`,
      ].join('\n'),
    )
    layout = writeOciLayout()
  })
  afterAll(async () => {
    await registry?.stop()
    await tokenServer?.close()
    rmSync(work, { recursive: true, force: true })
    if (layout) rmSync(layout, { recursive: true, force: true })
  })

  const dest = (repo: string) => `docker://${registry.host}/${repo}:latest`

  it('lets a user the policy allows push and pull with tokens registry:2 accepts', async () => {
    const pushed = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'admin:admin-pw', `oci:${layout}:latest`, dest('team/app'))
    expect(pushed.output).not.toMatch(/unauthorized|denied|invalid/i)
    expect(pushed.ok).toBe(true)
    const inspected = await skopeo('inspect', '--raw', '--tls-verify=false', '--creds', 'reader:reader-pw', dest('team/app'))
    expect(inspected.ok).toBe(true)
    expect(JSON.parse(inspected.output).schemaVersion).toBe(2)
    expect(requests.some((line) => line.includes('scope=repository%3Ateam%2Fapp%3Apull%2Cpush'))).toBe(true)
  })

  it('keeps a read-only user from pushing', async () => {
    const pushed = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'reader:reader-pw', `oci:${layout}:latest`, dest('team/other'))
    expect(pushed.ok).toBe(false)
    expect(pushed.output).toMatch(/unauthorized|denied|insufficient/i)
  })

  it('refuses a wrong password at the token endpoint', async () => {
    const inspected = await skopeo('inspect', '--raw', '--tls-verify=false', '--creds', 'admin:wrong', dest('team/app'))
    expect(inspected.ok).toBe(false)
    expect(inspected.output).toMatch(/401|unauthorized/i)
  })

  it('lets anonymous clients pull only what the policy opens to them', async () => {
    expect((await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'admin:admin-pw', `oci:${layout}:latest`, dest('public/tool'))).ok).toBe(true)
    expect((await skopeo('inspect', '--raw', '--tls-verify=false', '--no-creds', dest('public/tool'))).ok).toBe(true)
    const closed = await skopeo('inspect', '--raw', '--tls-verify=false', '--no-creds', dest('team/app'))
    expect(closed.ok).toBe(false)
  })
})
