import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import { afterAll, describe, expect, it } from 'vitest'
import { createHtpasswdAuth, createPolicy, HtpasswdError } from '@wharf/auth'
import { pull, push, toBasic, toRequest } from './support/requests.js'

const dir = mkdtempSync(join(tmpdir(), 'wharf-htpasswd-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0
const writeFile = (content: string) => {
  const path = join(dir, `htpasswd-${fileCount++}`)
  writeFileSync(path, content)
  return path
}

describe('htpasswd Basic auth', () => {
  it('logs in users whose bcrypt lines use $2a$, $2b$ or $2y$', async () => {
    const lines = [
      `alice:${await hash('alice-pw', { cost: 4, version: '2y' })}`,
      `bob:${await hash('bob-pw', { cost: 4, version: '2b' })}`,
      `carol:${await hash('carol-pw', { cost: 4, version: '2a' })}`,
    ]
    const auth = createHtpasswdAuth({ path: writeFile(`# team\n\n${lines.join('\n')}\n`), realm: 'wharf' })
    for (const user of ['alice', 'bob', 'carol']) {
      expect(await auth.authenticate(toRequest(toBasic(user, `${user}-pw`)), [pull('x')])).toEqual({ subject: user, anonymous: false })
    }
  })

  it('accepts a file written by `htpasswd -B` (apache2-utils)', async (context) => {
    if (spawnSync('htpasswd', ['-h']).error) {
      context.skip('htpasswd binary not installed (apt-get install apache2-utils)')
      return
    }
    const path = join(dir, 'from-htpasswd-tool')
    execFileSync('htpasswd', ['-B', '-C', '5', '-c', '-b', path, 'dave', 'dave pw: with colon'])
    execFileSync('htpasswd', ['-B', '-b', path, 'erin', 'érin-pässwörd'])
    const auth = createHtpasswdAuth({ path, realm: 'wharf' })
    expect(await auth.authenticate(toRequest(toBasic('dave', 'dave pw: with colon')), [pull('x')])).toMatchObject({ subject: 'dave' })
    expect(await auth.authenticate(toRequest(toBasic('erin', 'érin-pässwörd')), [pull('x')])).toMatchObject({ subject: 'erin' })
    expect(await auth.authenticate(toRequest(toBasic('erin', 'erin-passworD')), [pull('x')])).toBeUndefined()
  })

  it('with strict, refuses an MD5 ($apr1$) line at creation, naming the line and the user', async () => {
    const path = writeFile(`ok:${await hash('pw', { cost: 4 })}\nmallory:$apr1$abcdefgh$0123456789abcdefghijkl\n`)
    expect(() => createHtpasswdAuth({ path, realm: 'wharf', strict: true })).toThrowError(HtpasswdError)
    expect(() => createHtpasswdAuth({ path, realm: 'wharf', strict: true })).toThrowError(/line 2: user "mallory" has a MD5 \(\$apr1\$\) hash/)
  })

  it('with strict, refuses SHA, crypt, plain-text and malformed lines, never echoing the secret', () => {
    const cases = [
      ['sam:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /SHA-1/],
      ['cy:abJnggxhB/yWI', /DES crypt hash or plain-text/],
      ['pat:hunter2-is-my-password', /plain-text password/],
      ['bo:$2y$05$tooShort', /malformed bcrypt/],
      ['no-colon-here', /expected user:hash/],
      [':$2y$05$tooShort', /empty user name/],
    ] as const
    for (const [line, message] of cases) {
      const attempt = () => createHtpasswdAuth({ content: line, realm: 'wharf', strict: true })
      expect(attempt).toThrowError(message)
      expect(attempt).not.toThrowError(/hunter2|W6ph5|tooShort|no-colon-here/)
    }
  })

  it('with strict, refuses a user listed twice', async () => {
    const line = `twin:${await hash('pw', { cost: 4 })}`
    expect(() => createHtpasswdAuth({ content: `${line}\n${line}`, realm: 'r', strict: true })).toThrowError(/line 2: user "twin" is also on line 1/)
  })

  it('answers wrong passwords, unknown users and malformed headers with no identity', async () => {
    const auth = createHtpasswdAuth({ content: `alice:${await hash('right', { cost: 4 })}`, realm: 'wharf' })
    for (const header of [toBasic('alice', 'wrong'), toBasic('nobody', 'right'), 'Basic !!!', 'Basic', 'Bearer abc', toBasic('alice', 'right') + 'x']) {
      expect(await auth.authenticate(toRequest(header), [pull('x')])).toBeUndefined()
    }
    expect(auth.challenge(toRequest(), [pull('x')], 'invalid')).toBe('Basic realm="wharf"')
  })

  it('asks for credentials when none are sent, and challenges with the Basic realm', async () => {
    const auth = createHtpasswdAuth({ content: '', realm: 'my "registry"' })
    expect(await auth.authenticate(toRequest(), [pull('x')])).toBeUndefined()
    expect(auth.challenge(toRequest(), [pull('x')], 'missing')).toBe('Basic realm="my \\"registry\\""')
  })

  it('lets anonymous callers pull what the policy opens to them, but /v2/ itself still asks for credentials', async () => {
    const policy = createPolicy([
      { who: 'anonymous', on: 'public/*', allow: ['pull'] },
      { who: 'authenticated', on: '**', allow: ['*'] },
    ])
    const auth = createHtpasswdAuth({ content: '', realm: 'wharf', policy })
    const anonymous = await auth.authenticate(toRequest(), [pull('public/app')])
    expect(anonymous).toEqual({ subject: 'anonymous', anonymous: true })
    expect(await auth.authorize(anonymous!, push('public/app'))).toEqual(['pull'])
    expect(await auth.authenticate(toRequest(), [pull('private/app')])).toBeUndefined()
    // skopeo --no-creds answers a Basic challenge with an empty user and password.
    expect(await auth.authenticate(toRequest('Basic Og=='), [pull('public/app')])).toEqual({ subject: 'anonymous', anonymous: true })
    expect(await auth.authenticate(toRequest(), [])).toBeUndefined()
  })

  it('applies the default policy: logged-in users may do everything', async () => {
    const auth = createHtpasswdAuth({ content: `alice:${await hash('pw', { cost: 4 })}`, realm: 'wharf' })
    const alice = await auth.authenticate(toRequest(toBasic('alice', 'pw')), [push('any/repo')])
    expect(await auth.authorize(alice!, { type: 'repository', name: 'any/repo', actions: ['pull', 'push', 'delete'] })).toEqual(['pull', 'push', 'delete'])
    expect(await auth.authorize({ subject: 'anonymous', anonymous: true }, pull('any/repo'))).toEqual([])
  })
})

describe('htpasswd file changes', () => {
  const line = async (user: string, password: string) => `${user}:${await hash(password, { cost: 4 })}\n`
  const login = (auth: ReturnType<typeof createHtpasswdAuth>, user: string, password: string) =>
    auth.authenticate(toRequest(toBasic(user, password)), [pull('x')])

  it('sees a file rewritten in place', async () => {
    const path = writeFile(await line('alice', 'old'))
    const auth = createHtpasswdAuth({ path, realm: 'r', checkIntervalMs: 0 })
    expect(await login(auth, 'alice', 'old')).toBeDefined()
    writeFileSync(path, (await line('alice', 'new')) + (await line('bob', 'pw')))
    expect(await login(auth, 'alice', 'old')).toBeUndefined()
    expect(await login(auth, 'alice', 'new')).toBeDefined()
    expect(await login(auth, 'bob', 'pw')).toBeDefined()
  })

  it('sees a file replaced by rename (how editors and deploy tools write)', async () => {
    const path = writeFile(await line('alice', 'old'))
    const auth = createHtpasswdAuth({ path, realm: 'r', checkIntervalMs: 0 })
    expect(await login(auth, 'alice', 'old')).toBeDefined()
    const temp = `${path}.tmp`
    writeFileSync(temp, await line('carol', 'pw'))
    renameSync(temp, path)
    expect(await login(auth, 'alice', 'old')).toBeUndefined()
    expect(await login(auth, 'carol', 'pw')).toBeDefined()
  })

  it('with strict, keeps the previous users when the new file is unusable, and reports it once', async () => {
    const path = writeFile(await line('alice', 'pw'))
    const errors: Error[] = []
    const auth = createHtpasswdAuth({ path, realm: 'r', strict: true, checkIntervalMs: 0, onReloadError: (error) => errors.push(error) })
    writeFileSync(path, 'alice:$apr1$xyz$abc\n')
    expect(await login(auth, 'alice', 'pw')).toBeDefined()
    expect(await login(auth, 'alice', 'pw')).toBeDefined()
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/not reloaded: .*line 1: user "alice" has a MD5/)
    writeFileSync(path, await line('alice', 'fixed'))
    expect(await login(auth, 'alice', 'fixed')).toBeDefined()
  })

  it('lets nobody in while the file is gone, and picks it up again when it returns', async () => {
    const path = writeFile(await line('alice', 'pw'))
    const errors: Error[] = []
    const auth = createHtpasswdAuth({ path, realm: 'r', checkIntervalMs: 0, onReloadError: (error) => errors.push(error) })
    const content = await line('alice', 'pw')
    rmSync(path)
    expect(await login(auth, 'alice', 'pw')).toBeUndefined()
    expect(errors[0]!.message).toMatch(/no user can log in/)
    writeFileSync(path, content)
    expect(await login(auth, 'alice', 'pw')).toBeDefined()
  })

  it('checks the file at most once per interval', async () => {
    const path = writeFile(await line('alice', 'old'))
    const auth = createHtpasswdAuth({ path, realm: 'r', checkIntervalMs: 60_000 })
    writeFileSync(path, await line('alice', 'new'))
    expect(await login(auth, 'alice', 'old')).toBeDefined()
  })

  it('fails at creation for a missing file', () => {
    expect(() => createHtpasswdAuth({ path: join(dir, 'missing'), realm: 'r' })).toThrowError(/ENOENT/)
  })
})
