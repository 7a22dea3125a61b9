import { access, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createHtpasswdLine } from './helpers/certificates.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { pushImage } from './helpers/registry-client.js'

// Lines `htpasswd` writes for other formats (-p plain, -m MD5, -s SHA, -d crypt), each for the
// password `<user>-pw`: registry:2 starts with them and refuses only these users; so must wharf.
const BAD_LINES = ['pat:pat-pw', 'mallory:$apr1$yMUcfUkd$5.uDrGyMF/5IUwMRiJfNY.', 'sam:{SHA}SdVhZmytf1Ws1rU8bbM1WwLutKE=', 'cy:wwovvudWfHIEg', 'no-colon-secret']
const SECRETS = ['pat-pw', 'yMUcfUkd', 'SdVhZmytf1Ws1rU8bbM1WwLutKE', 'wwovvudWfHIEg', 'no-colon-secret']

let dir: { path: string; remove(): Promise<void> }
let server: TestServer | undefined
let alice: string
let bob: string

beforeAll(async () => {
  dir = await createTempDir()
  alice = await createHtpasswdLine('alice', 'alice-pw')
  bob = await createHtpasswdLine('bob', 'bob-pw')
})
afterEach(async () => {
  vi.useRealTimers()
  await server?.close()
  server = undefined
})
afterAll(() => dir.remove())

const yaml = (path: string, extra = '') => `storage: { inmemory: }\nauth:\n  htpasswd: { realm: Registry Realm, path: ${path}${extra} }\n`
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
const status = async (url: string, headers: Record<string, string>) => (await fetch(url, { headers })).status

describe('htpasswd lines wharf cannot use, through the standalone server', () => {
  it('starts with plain, MD5, SHA, crypt and malformed lines; the bcrypt user pushes and pulls, the others get 401', async () => {
    const path = join(dir.path, 'mixed')
    await writeFile(path, [alice, ...BAD_LINES, ''].join('\n'))
    server = await startFromYaml(yaml(path))

    expect(await status(`${server.url}/v2/`, basic('alice', 'alice-pw'))).toBe(200)
    await pushImage(server.url, 'alice/app', 'v1', undefined, basic('alice', 'alice-pw'))
    const tags = await fetch(`${server.url}/v2/alice/app/tags/list`, { headers: basic('alice', 'alice-pw') })
    expect(await tags.json()).toEqual({ name: 'alice/app', tags: ['v1'] })
    expect(await status(`${server.url}/v2/alice/app/manifests/v1`, basic('alice', 'alice-pw'))).toBe(200)

    for (const user of ['pat', 'mallory', 'sam', 'cy']) {
      const refused = await fetch(`${server.url}/v2/`, { headers: basic(user, `${user}-pw`) })
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="Registry Realm"')
      expect(await status(`${server.url}/v2/alice/app/manifests/v1`, basic(user, `${user}-pw`))).toBe(401)
    }

    const warnings = server.logs.entries().filter((entry) => entry['level'] === 'warn').map((entry) => String(entry['msg']))
    expect(warnings).toEqual([
      expect.stringMatching(/ line 2: user "pat" has a plain-text password/),
      expect.stringMatching(/ line 3: user "mallory" has a MD5 \(\$apr1\$\) hash/),
      expect.stringMatching(/ line 4: user "sam" has a SHA-1/),
      expect.stringMatching(/ line 5: user "cy" has a DES crypt hash/),
      expect.stringMatching(/ line 6: expected user:hash; the line is ignored$/),
    ])
    for (const line of server.logs.lines) for (const secret of SECRETS) expect(line).not.toContain(secret)
  })

  it('after the file changes to one with a bad line, takes its good users and logs the warning', async () => {
    const path = join(dir.path, 'changing')
    await writeFile(path, `${alice}\n`)
    server = await startFromYaml(yaml(path))
    expect(server.logs.entries().filter((entry) => entry['level'] === 'warn')).toEqual([])
    await writeFile(path, [bob, BAD_LINES[1], ''].join('\n'))
    // The file is checked at most once a second: move the clock instead of waiting for it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5_000 })
    expect(await status(`${server.url}/v2/`, basic('bob', 'bob-pw'))).toBe(200)
    expect(await status(`${server.url}/v2/`, basic('alice', 'alice-pw'))).toBe(401)
    expect(await status(`${server.url}/v2/`, basic('mallory', 'mallory-pw'))).toBe(401)
    expect(server.logs.find('line 2: user "mallory" has a MD5')).toEqual([expect.objectContaining({ level: 'warn', line: 2, user: 'mallory' })])
  })

  it('with auth.htpasswd.strict (or REGISTRY_AUTH_HTPASSWD_STRICT) refuses to start, naming the line and user', async () => {
    const path = join(dir.path, 'strict')
    await writeFile(path, [alice, BAD_LINES[2], ''].join('\n'))
    await expect(startFromYaml(yaml(path, ', strict: true'))).rejects.toThrow(/^auth\.htpasswd\.path: .* line 2: user "sam" has a SHA-1/)
    await expect(startFromYaml(yaml(path), { env: { REGISTRY_AUTH_HTPASSWD_STRICT: 'true' } })).rejects.toThrow(/line 2: user "sam"/)
    server = await startFromYaml(yaml(path, ', strict: false'))
    expect(await status(`${server.url}/v2/`, basic('alice', 'alice-pw'))).toBe(200)
  })

  it('refuses to start when the file is missing, and does not create it (registry:2 provisions a user "docker")', async () => {
    const path = join(dir.path, 'missing', 'htpasswd')
    await expect(startFromYaml(yaml(path))).rejects.toThrow(`auth.htpasswd.path: ${path} does not exist; create it with \`htpasswd -Bc ${path} <user>\``)
    await expect(access(path)).rejects.toThrow(/ENOENT/)
  })
})
