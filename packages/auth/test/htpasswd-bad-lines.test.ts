import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import { afterAll, describe, expect, it } from 'vitest'
import { createHtpasswdAuth, type HtpasswdWarning } from '@wharf/auth'
import { pull, toBasic, toRequest } from './support/requests.js'

// Lines as `htpasswd` writes them for other formats (-p plain, -m MD5, -s SHA, -d crypt), each
// for the password `<user>-pw`: wharf must refuse these users even with the right password.
const PLAIN = 'pat:pat-pw'
const MD5 = 'mallory:$apr1$yMUcfUkd$5.uDrGyMF/5IUwMRiJfNY.'
const SHA = 'sam:{SHA}SdVhZmytf1Ws1rU8bbM1WwLutKE='
const CRYPT = 'cy:wwovvudWfHIEg'
const SECRETS = ['pat-pw', 'yMUcfUkd', 'SdVhZmytf1Ws1rU8bbM1WwLutKE', 'wwovvudWfHIEg', 'no-colon-secret']

const dir = mkdtempSync(join(tmpdir(), 'wharf-htpasswd-bad-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0
const writeFile = (content: string) => {
  const path = join(dir, `htpasswd-${fileCount++}`)
  writeFileSync(path, content)
  return path
}
const bcryptLine = async (user: string, password: string) => `${user}:${await hash(password, { cost: 4 })}`
const login = (auth: ReturnType<typeof createHtpasswdAuth>, user: string, password: string) =>
  auth.authenticate(toRequest(toBasic(user, password)), [pull('x')])
const where = (warnings: HtpasswdWarning[]) => warnings.map(({ line, user }) => ({ line, user }))

describe('htpasswd lines wharf cannot use', () => {
  it('starts with plain, MD5, SHA, crypt and malformed lines, lets the bcrypt user in and refuses only the others', async () => {
    const content = [
      '# team',
      await bcryptLine('alice', 'alice-pw'),
      PLAIN,
      MD5,
      SHA,
      CRYPT,
      'no-colon-secret',
      `:${await hash('empty-pw', { cost: 4 })}`,
      '',
    ].join('\n')
    const path = writeFile(content)
    const warnings: HtpasswdWarning[] = []
    const auth = createHtpasswdAuth({ path, realm: 'wharf', onWarning: (warning) => warnings.push(warning) })

    expect(await login(auth, 'alice', 'alice-pw')).toEqual({ subject: 'alice', anonymous: false })
    for (const user of ['pat', 'mallory', 'sam', 'cy']) expect(await login(auth, user, `${user}-pw`)).toBeUndefined()
    expect(await login(auth, '', 'empty-pw')).toBeUndefined()
    expect(auth.challenge(toRequest(), [pull('x')], 'invalid')).toBe('Basic realm="wharf"')

    expect(where(warnings)).toEqual([
      { line: 3, user: 'pat' },
      { line: 4, user: 'mallory' },
      { line: 5, user: 'sam' },
      { line: 6, user: 'cy' },
      { line: 7, user: undefined },
      { line: 8, user: undefined },
    ])
    expect(warnings[0]!.message).toBe(
      `${path} line 3: user "pat" has a plain-text password or unknown hash format; only bcrypt ($2y$, $2b$, $2a$) is accepted, so this user cannot log in until it is recreated with \`htpasswd -B\``,
    )
    expect(warnings[1]!.message).toMatch(/line 4: user "mallory" has a MD5 \(\$apr1\$\) hash/)
    expect(warnings[2]!.message).toMatch(/line 5: user "sam" has a SHA-1 \(\{SHA\}\) hash/)
    expect(warnings[3]!.message).toMatch(/line 6: user "cy" has a DES crypt hash or plain-text password/)
    expect(warnings[4]!.message).toBe(`${path} line 7: expected user:hash; the line is ignored`)
    expect(warnings[5]!.message).toBe(`${path} line 8: empty user name; the line is ignored`)
    for (const { message } of warnings) for (const secret of SECRETS) expect(message).not.toContain(secret)
  })

  it('names the lines of `content` as "htpasswd line N"', async () => {
    const warnings: HtpasswdWarning[] = []
    const auth = createHtpasswdAuth({ content: `${await bcryptLine('alice', 'pw')}\n${MD5}`, realm: 'r', onWarning: (w) => warnings.push(w) })
    expect(await login(auth, 'alice', 'pw')).toBeDefined()
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^htpasswd line 2: user "mallory" has a MD5/)])
  })

  it('checks a user listed twice against the last line, as registry:2 does, and says so', async () => {
    const warnings: HtpasswdWarning[] = []
    const content = [await bcryptLine('twin', 'old'), await bcryptLine('other', 'pw'), await bcryptLine('twin', 'new')].join('\n')
    const auth = createHtpasswdAuth({ content, realm: 'r', onWarning: (w) => warnings.push(w) })
    expect(await login(auth, 'twin', 'new')).toBeDefined()
    expect(await login(auth, 'twin', 'old')).toBeUndefined()
    expect(await login(auth, 'other', 'pw')).toBeDefined()
    expect(where(warnings)).toEqual([{ line: 3, user: 'twin' }])
    expect(warnings[0]!.message).toBe('htpasswd line 3: user "twin" is also on line 1; the last line is used, as registry:2 does')
  })

  it('refuses a user whose last line is unusable, even when an earlier line of theirs was good', async () => {
    const warnings: HtpasswdWarning[] = []
    const auth = createHtpasswdAuth({ content: `${await bcryptLine('mallory', 'mallory-pw')}\n${MD5}`, realm: 'r', onWarning: (w) => warnings.push(w) })
    expect(await login(auth, 'mallory', 'mallory-pw')).toBeUndefined()
    expect(where(warnings)).toEqual([
      { line: 2, user: 'mallory' },
      { line: 2, user: 'mallory' },
    ])
  })

  it('on a reload with a bad line, takes the new good users, refuses only the bad one, and warns once per version', async () => {
    const path = writeFile(`${await bcryptLine('alice', 'alice-pw')}\n`)
    const warnings: HtpasswdWarning[] = []
    const errors: Error[] = []
    const auth = createHtpasswdAuth({ path, realm: 'r', checkIntervalMs: 0, onWarning: (w) => warnings.push(w), onReloadError: (e) => errors.push(e) })
    expect(warnings).toEqual([])

    writeFileSync(path, [await bcryptLine('alice', 'alice-pw'), await bcryptLine('bob', 'bob-pw'), MD5, ''].join('\n'))
    expect(await login(auth, 'alice', 'alice-pw')).toBeDefined()
    expect(await login(auth, 'bob', 'bob-pw')).toBeDefined()
    expect(await login(auth, 'mallory', 'mallory-pw')).toBeUndefined()
    expect(where(warnings)).toEqual([{ line: 3, user: 'mallory' }])
    expect(errors).toEqual([])

    // A later version that still has the line is warned about again; one that drops it is quiet.
    writeFileSync(path, [MD5, await bcryptLine('bob', 'bob-pw'), ''].join('\n'))
    expect(await login(auth, 'alice', 'alice-pw')).toBeUndefined()
    expect(await login(auth, 'bob', 'bob-pw')).toBeDefined()
    expect(where(warnings)).toEqual([
      { line: 3, user: 'mallory' },
      { line: 1, user: 'mallory' },
    ])
    writeFileSync(path, `${await bcryptLine('mallory', 'mallory-pw')}\n`)
    expect(await login(auth, 'mallory', 'mallory-pw')).toBeDefined()
    expect(warnings).toHaveLength(2)
  })
})

describe('strict htpasswd (the old behaviour)', () => {
  it('refuses the whole file at creation, naming the line and user', async () => {
    const path = writeFile(`${await bcryptLine('alice', 'pw')}\n${SHA}\n`)
    expect(() => createHtpasswdAuth({ path, realm: 'r', strict: true })).toThrowError(/line 2: user "sam" has a SHA-1/)
    const twin = await bcryptLine('twin', 'pw')
    expect(() => createHtpasswdAuth({ content: `${twin}\n${twin}`, realm: 'r', strict: true })).toThrowError(/line 2: user "twin" is also on line 1/)
  })

  it('keeps the previous users when a changed file has a bad line', async () => {
    const path = writeFile(`${await bcryptLine('alice', 'pw')}\n`)
    const errors: Error[] = []
    const warnings: HtpasswdWarning[] = []
    const auth = createHtpasswdAuth({ path, realm: 'r', strict: true, checkIntervalMs: 0, onReloadError: (e) => errors.push(e), onWarning: (w) => warnings.push(w) })
    writeFileSync(path, `${await bcryptLine('bob', 'pw')}\n${PLAIN}\n`)
    expect(await login(auth, 'alice', 'pw')).toBeDefined()
    expect(await login(auth, 'bob', 'pw')).toBeUndefined()
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/was not reloaded: .*line 2: user "pat" has a plain-text password/)])
    expect(warnings).toEqual([])
  })
})
