import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHtpasswdLine, createTestCertificates } from './helpers/certificates.js'
import { httpsRequest } from './helpers/https-request.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'

describe('the web UI in the standalone server', () => {
  let server: TestServer | undefined
  let dir: { path: string; remove(): Promise<void> } | undefined
  afterEach(async () => {
    await server?.close()
    await dir?.remove()
    server = undefined
    dir = undefined
  })

  // In memory: nothing on disk to race with the storage health check's writes at close.
  async function start(yaml = '', env: Record<string, string> = {}) {
    server = await startFromYaml(`storage: { inmemory: }\n${yaml}`, { env })
    return server
  }

  it('serves /ui/ by default and redirects / there, on the same origin as /v2', async () => {
    const { url, warnings } = await start()
    expect(warnings).toEqual([])
    const root = await fetch(`${url}/`, { redirect: 'manual' })
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/ui/')
    const page = await fetch(`${url}/ui/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline')
    expect(await page.text()).toContain('/ui/assets/app.js')
    expect((await fetch(`${url}/ui/assets/app.css`)).status).toBe(200)
    const session = await (await fetch(`${url}/ui/api/session`)).json()
    expect(session).toMatchObject({ loginRequired: false, deleteEnabled: false, readOnly: false }) // a config file: deletes off, as registry:2
    expect((await fetch(`${url}/v2/`)).status).toBe(200)
  })

  it('tells the UI about read-only mode and enabled deletes', async () => {
    const { url } = await start('', { REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' })
    expect(await (await fetch(`${url}/ui/api/session`)).json()).toMatchObject({ deleteEnabled: true, readOnly: true })
  })

  it('is off with ui.enabled false or REGISTRY_UI_ENABLED=false: / answers 200 as registry:2 does', async () => {
    for (const [yaml, env] of [['ui: { enabled: false }', {}], ['', { REGISTRY_UI_ENABLED: 'false' }]] as const) {
      const { url } = await start(yaml, env)
      expect((await fetch(`${url}/`, { redirect: 'manual' })).status).toBe(200)
      expect((await fetch(`${url}/ui/`)).status).toBe(404)
      await server!.close()
      server = undefined
    }
  })

  it('with auth.htpasswd, asks for a login and then acts as that user', async () => {
    dir = await createTempDir()
    const htpasswd = join(dir.path, 'htpasswd')
    await writeFile(htpasswd, `${await createHtpasswdLine('alice', 'wonderland')}\n`)
    server = await startFromYaml(`storage: { inmemory: }\nauth:\n  htpasswd: { realm: Registry Realm, path: ${htpasswd} }\n`)
    const first = await fetch(`${server.url}/ui/api/session`)
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!
    const { csrf, loginRequired } = (await first.json()) as { csrf: string; loginRequired: boolean }
    expect(loginRequired).toBe(true)
    expect((await fetch(`${server.url}/ui/api/repositories`, { headers: { cookie } })).status).toBe(401)
    const post = (body: unknown) =>
      fetch(`${server!.url}/ui/api/login`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect((await post({ user: 'alice', password: 'wrong' })).status).toBe(401)
    const login = await post({ user: 'alice', password: 'wonderland' })
    expect(login.status).toBe(200)
    const session = login.headers.get('set-cookie')!
    expect(session).toMatch(/; HttpOnly; SameSite=Strict$/) // plain HTTP: no Secure
    const repositories = await fetch(`${server.url}/ui/api/repositories`, { headers: { cookie: session.split(';')[0]! } })
    expect(repositories.status).toBe(200)
  })

  it('marks the session cookie Secure over TLS', async () => {
    dir = await createTempDir()
    const certs = await createTestCertificates(dir.path)
    server = await startFromYaml(`storage: { inmemory: }\nhttp:\n  tls:\n    certificate: ${certs.serverCert}\n    key: ${certs.serverKey}\n`)
    const response = await httpsRequest(`${server.url}/ui/api/session`, { ca: await readFile(certs.caCert) })
    expect(response.status).toBe(200)
    expect(String(response.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/)
  })
})
