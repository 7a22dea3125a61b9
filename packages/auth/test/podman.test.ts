import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthHooks } from '@wharf/core'
import { createHtpasswdAuth, createPolicy, createTokenAuth, createTokenServer, type HtpasswdAuth, type TokenHandler } from '@wharf/auth'
import { newKeyPair } from './support/keys.js'
import { createIsolatedPodman, hasPodman, importTinyImage, toImageId, type IsolatedPodman } from './support/podman.js'
import { newRegistry, snapshot } from './support/registry.js'
import { serve } from './support/serve.js'

// Not installed: skipped with a message, like the other client tests (scripts/test.sh installs it).
// Installed but unable to work here: beforeAll throws podman's own error, so every test fails loudly.
if (!hasPodman) console.warn('skipping podman tests against wharf: podman not installed (apt-get install podman)')

const policy = createPolicy([
  { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
  { who: 'user:reader', on: '**', allow: ['pull'] },
])

/** What a scenario serves: the registry's auth, and a token endpoint to mount at `/token` if any. */
type Served = { auth: AuthHooks; token?: TokenHandler }

/**
 * podman login, push and pull against wharf served on a real port with `makeAuth`'s auth. Two
 * podmans with separate storage: the pusher (admin) and the puller (read-only), so a pull really
 * fetches every byte from the registry.
 */
function describeWithPodman(name: string, makeAuth: (htpasswd: HtpasswdAuth, baseUrl: string) => Served) {
  describe.skipIf(!hasPodman)(name, () => {
    let server: Awaited<ReturnType<typeof serve>> | undefined
    let storage: ReturnType<typeof newRegistry>['storage']
    let pusher: IsolatedPodman
    let puller: IsolatedPodman
    let host = ''
    let imageId = ''
    const adminAuthFile = () => join(pusher.dir, 'admin-auth.json')
    const readerAuthFile = () => join(puller.dir, 'reader-auth.json')

    beforeAll(async () => {
      pusher = createIsolatedPodman()
      puller = createIsolatedPodman()
      const users = await Promise.all(['admin', 'reader'].map(async (user) => `${user}:${await hash(`${user}-pw`, { cost: 5, version: '2y' })}`))
      const htpasswd = createHtpasswdAuth({ content: users.join('\n'), realm: 'wharf', policy })
      // The token realm is on the registry's own server, whose port is known only once it listens.
      let handle: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
      server = await serve((request) => handle(request))
      host = new URL(server.url).host
      const served = makeAuth(htpasswd, server.url)
      const made = newRegistry(served.auth)
      storage = made.storage
      handle = (request) => (served.token && new URL(request.url).pathname === '/token' ? served.token(request) : made.registry.fetch(request))
      imageId = await importTinyImage(pusher, 'localhost/wharf-test/tiny:v1')
    })
    afterAll(async () => {
      await server?.close()
      pusher?.remove()
      puller?.remove()
    })

    it('refuses a login with a wrong password and stores no credentials', async () => {
      const login = await pusher.run('login', '--tls-verify=false', '--authfile', adminAuthFile(), '-u', 'admin', '-p', 'wrong', host)
      expect(login.ok).toBe(false)
      expect(login.output).toMatch(/unauthorized|invalid username\/password/i)
      expect(existsSync(adminAuthFile()) ? readFileSync(adminAuthFile(), 'utf8') : '').not.toContain(host)
    })

    it('logs in, pushes, and pulls the same image into another storage as a read-only user', async () => {
      const login = await pusher.run('login', '--tls-verify=false', '--authfile', adminAuthFile(), '-u', 'admin', '-p', 'admin-pw', host)
      expect(login.output).toMatch(/Login Succeeded/)
      expect(readFileSync(adminAuthFile(), 'utf8')).toContain(host)
      const pushed = await pusher.run('push', '--tls-verify=false', '--authfile', adminAuthFile(), 'localhost/wharf-test/tiny:v1', `docker://${host}/team/app:v1`)
      expect(pushed.output).not.toMatch(/unauthorized|denied/i)
      expect(pushed.ok).toBe(true)

      const readerLogin = await puller.run('login', '--tls-verify=false', '--authfile', readerAuthFile(), '-u', 'reader', '-p', 'reader-pw', host)
      expect(readerLogin.output).toMatch(/Login Succeeded/)
      const pulled = await puller.run('pull', '--tls-verify=false', '--authfile', readerAuthFile(), `${host}/team/app:v1`)
      expect(pulled.output).not.toMatch(/unauthorized|denied/i)
      expect(pulled.ok).toBe(true)
      // The image id is the config digest, and podman checked every layer against its diff_id.
      expect(await toImageId(puller, `${host}/team/app:v1`)).toBe(imageId)
    })

    it("refuses a read-only user's push and stores nothing", async () => {
      const before = await snapshot(storage)
      const pushed = await puller.run('push', '--tls-verify=false', '--authfile', readerAuthFile(), `${host}/team/app:v1`, `docker://${host}/team/other:v1`)
      expect(pushed.ok).toBe(false)
      expect(pushed.output).toMatch(/unauthorized|denied/i)
      expect(await snapshot(storage)).toEqual(before)
    })
  })
}

describeWithPodman('podman against wharf with htpasswd Basic auth', (htpasswd) => ({ auth: htpasswd }))

describeWithPodman('podman against wharf with token auth and createTokenServer on the same server', (htpasswd, baseUrl) => {
  const { privateKey, publicKey } = newKeyPair('ec')
  return {
    auth: createTokenAuth({ realm: `${baseUrl}/token`, service: 'wharf-registry', issuer: 'wharf', keys: { publicKey } }),
    token: createTokenServer({ issuer: 'wharf', service: 'wharf-registry', signingKey: privateKey, authenticate: htpasswd, policy }),
  }
})
