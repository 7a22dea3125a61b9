import { execFile, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { promisify } from 'node:util'
import { hash } from '@node-rs/bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthHooks } from '@wharf/core'
import { createHtpasswdAuth, createPolicy, createTokenAuth, createTokenServer, type HtpasswdAuth } from '@wharf/auth'
import { newKeyPair } from './support/keys.js'
import { writeOciLayout } from './support/oci-layout.js'
import { newRegistry } from './support/registry.js'
import { serve } from './support/serve.js'

const run = promisify(execFile)
const hasSkopeo = !spawnSync('skopeo', ['--version']).error
if (!hasSkopeo) console.warn('skipping skopeo tests against wharf: skopeo not installed')

async function skopeo(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('skopeo', args, { timeout: 60_000 })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }
  }
}

const policy = createPolicy([
  { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
  { who: 'user:reader', on: '**', allow: ['pull'] },
  { who: 'anonymous', on: 'public/**', allow: ['pull'] },
])

/** Runs the same client scenarios against wharf with a given auth, served over a real port. */
function describeWithSkopeo(name: string, makeAuth: (htpasswd: HtpasswdAuth) => Promise<{ auth: AuthHooks; close?: () => Promise<void> }>) {
  describe.skipIf(!hasSkopeo)(name, () => {
    let server: Awaited<ReturnType<typeof serve>>
    let close: (() => Promise<void>) | undefined
    let layout = ''
    let host = ''
    beforeAll(async () => {
      const users = await Promise.all(['admin', 'reader'].map(async (user) => `${user}:${await hash(`${user}-pw`, { cost: 5, version: '2y' })}`))
      const made = await makeAuth(createHtpasswdAuth({ content: users.join('\n'), realm: 'wharf', policy }))
      close = made.close
      server = await serve((request) => newRegistryOnce(made.auth).fetch(request))
      host = new URL(server.url).host
      layout = writeOciLayout()
    })
    afterAll(async () => {
      await server?.close()
      await close?.()
      if (layout) rmSync(layout, { recursive: true, force: true })
    })
    let registry: ReturnType<typeof newRegistry>['registry'] | undefined
    const newRegistryOnce = (auth: AuthHooks) => (registry ??= newRegistry(auth).registry)
    const ref = (repo: string) => `docker://${host}/${repo}:latest`

    it('pushes and pulls with the right credentials', async () => {
      const pushed = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'admin:admin-pw', `oci:${layout}:latest`, ref('team/app'))
      expect(pushed.output).not.toMatch(/unauthorized|denied/i)
      expect(pushed.ok).toBe(true)
      expect((await skopeo('inspect', '--raw', '--tls-verify=false', '--creds', 'reader:reader-pw', ref('team/app'))).ok).toBe(true)
    })

    it('copies between repositories (cross-repository mount) as the admin', async () => {
      const copied = await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', 'admin:admin-pw', '--dest-creds', 'admin:admin-pw', ref('team/app'), ref('team/copy'))
      expect(copied.output).not.toMatch(/unauthorized|denied/i)
      expect(copied.ok).toBe(true)
    })

    it('refuses a push by a read-only user and a wrong password', async () => {
      const reader = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'reader:reader-pw', `oci:${layout}:latest`, ref('team/other'))
      expect(reader.ok).toBe(false)
      expect(reader.output).toMatch(/unauthorized|denied/i)
      const wrong = await skopeo('inspect', '--raw', '--tls-verify=false', '--creds', 'admin:wrong', ref('team/app'))
      expect(wrong.ok).toBe(false)
    })

    it('lets anonymous clients pull public repositories only', async () => {
      expect((await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'admin:admin-pw', `oci:${layout}:latest`, ref('public/tool'))).ok).toBe(true)
      const open = await skopeo('inspect', '--raw', '--tls-verify=false', '--no-creds', ref('public/tool'))
      expect(open.output).not.toMatch(/unauthorized/)
      expect(open.ok).toBe(true)
      expect((await skopeo('inspect', '--raw', '--tls-verify=false', '--no-creds', ref('team/app'))).ok).toBe(false)
    })
  })
}

describeWithSkopeo('skopeo against wharf with htpasswd Basic auth', async (htpasswd) => ({ auth: htpasswd }))

describeWithSkopeo('skopeo against wharf with token auth and createTokenServer', async (htpasswd) => {
  const { privateKey, publicKey } = newKeyPair('ec')
  const issue = createTokenServer({ issuer: 'wharf', service: 'wharf-registry', signingKey: privateKey, authenticate: htpasswd, policy })
  const tokens = await serve(issue)
  return {
    auth: createTokenAuth({ realm: `${tokens.url}/token`, service: 'wharf-registry', issuer: 'wharf', keys: { publicKey } }),
    close: tokens.close,
  }
})
