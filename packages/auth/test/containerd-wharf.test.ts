import { execFile, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { promisify } from 'node:util'
import { hash } from '@node-rs/bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHtpasswdAuth, createPolicy, createTokenAuth, createTokenServer } from '@wharf/auth'
import { hasContainerd, startContainerd } from './support/containerd.js'
import { newKeyPair } from './support/keys.js'
import { writeOciLayout } from './support/oci-layout.js'
import { newRegistry } from './support/registry.js'
import { serve } from './support/serve.js'

const run = promisify(execFile)
const hasSkopeo = !spawnSync('skopeo', ['--version']).error
const ready = hasContainerd && hasSkopeo
if (!ready) console.warn('skipping containerd tests: containerd/ctr (run as root) or skopeo not available')

async function tool(command: string, ...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 60_000 })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }
  }
}

/**
 * containerd (the runtime Kubernetes pulls with) talks to the token endpoint differently from
 * skopeo: with credentials it uses the OAuth2 `POST grant_type=password` form.
 */
describe.skipIf(!ready)('containerd pulling from wharf with token auth', () => {
  const methods: string[] = []
  let containerd: Awaited<ReturnType<typeof startContainerd>>
  let tokens: Awaited<ReturnType<typeof serve>>
  let registry: Awaited<ReturnType<typeof serve>>
  let layout = ''

  beforeAll(async () => {
    const users = await Promise.all(['admin', 'reader'].map(async (user) => `${user}:${await hash(`${user}-pw`, { cost: 5 })}`))
    const policy = createPolicy([
      { who: 'user:admin', on: '**', allow: ['*'] },
      { who: 'user:reader', on: '**', allow: ['pull'] },
    ])
    const { privateKey, publicKey } = newKeyPair('rsa')
    const issue = createTokenServer({ issuer: 'wharf', service: 'wharf-registry', signingKey: privateKey, policy, authenticate: createHtpasswdAuth({ content: users.join('\n'), realm: 'wharf' }) })
    tokens = await serve((request) => {
      methods.push(request.method)
      return issue(request)
    })
    const wharf = newRegistry(createTokenAuth({ realm: `${tokens.url}/token`, service: 'wharf-registry', issuer: 'wharf', keys: { publicKey } })).registry
    registry = await serve((request) => wharf.fetch(request))
    containerd = await startContainerd()
    layout = writeOciLayout()
    const host = new URL(registry.url).host
    const pushed = await tool('skopeo', 'copy', '--dest-tls-verify=false', '--dest-creds', 'admin:admin-pw', `oci:${layout}:latest`, `docker://${host}/team/app:latest`)
    expect(pushed.ok).toBe(true)
  })
  afterAll(async () => {
    await containerd?.stop()
    await registry?.close()
    await tokens?.close()
    if (layout) rmSync(layout, { recursive: true, force: true })
  })

  const fetchImage = (user: string) =>
    tool('ctr', '-a', containerd.socket, 'content', 'fetch', '--plain-http', '--user', user, `${new URL(registry.url).host}/team/app:latest`)

  it('fetches an image with credentials, through the OAuth2 password grant', async () => {
    methods.length = 0
    const fetched = await fetchImage('reader:reader-pw')
    expect(fetched.output).not.toMatch(/unauthorized|denied|failed/i)
    expect(fetched.ok).toBe(true)
    expect(methods).toContain('POST')
  })

  it('fails with a wrong password', async () => {
    const fetched = await fetchImage('reader:wrong')
    expect(fetched.ok).toBe(false)
  })
})
