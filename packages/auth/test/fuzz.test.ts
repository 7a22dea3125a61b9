import { hash } from '@node-rs/bcrypt'
import fc from 'fast-check'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import type { Access } from '@wharf/core'
import {
  createHtpasswdAuth,
  createTokenAuth,
  HtpasswdError,
  parseHtpasswd,
  toBasicChallenge,
  toBasicCredentials,
  toBearerChallenge,
  toBearerToken,
  toScopeAccess,
  toLibtrustKeyId,
  toScopeList,
} from '@wharf/auth'
import { newKeyPair } from './support/keys.js'
import { toBasic, toRequest } from './support/requests.js'
import { newTokenServer } from './support/tokens.js'

// Strings that look like what an attacker would send: printable, unicode, separators, control bytes.
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('Basic ', 'Bearer ', 'basic Og==', 'Basic OmE=', 'Bearer a.b.c', 'Bearer ..', 'Basic =', 'Digest x', '\r\nX: y', '"', '\\'),
)
const headerValue = fc.oneof(
  nasty,
  fc.tuple(fc.constantFrom('Basic ', 'Bearer ', 'bAsIc  ', 'Negotiate '), nasty).map(([a, b]) => a + b),
  fc.tuple(nasty, nasty).map(([u, p]) => toBasic(u, p)),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`),
)
const b64json = fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'))
const jwtLike = fc.tuple(b64json, b64json, fc.oneof(fc.base64String({ maxLength: 400 }), fc.constant(''))).map(([h, p, s]) => `${h}.${p}.${s.replace(/=/g, '')}`)
const access = fc.record({
  type: fc.constantFrom('repository' as const, 'registry' as const),
  name: nasty,
  actions: fc.subarray(['pull', 'push', 'delete', '*'] as const),
}) as fc.Arbitrary<Access>

/** A request carrying `header`, or undefined when no HTTP stack could deliver it (Headers refuses it). */
function asRequest(header: string): Request | undefined {
  try {
    return toRequest(header)
  } catch {
    return undefined
  }
}

// A WWW-Authenticate value: a scheme, then comma-separated name=token-or-quoted-string pairs.
const CHALLENGE = /^(Basic|Bearer) [a-z]+=("([^"\\\u0000-\u001f\u007f]|\\["\\])*"|[A-Za-z0-9_]+)(,[a-z]+=("([^"\\\u0000-\u001f\u007f]|\\["\\])*"|[A-Za-z0-9_]+))*$/

describe('Authorization header parsing (fuzz)', () => {
  it('never throws on any header and returns only well-formed credentials', () => {
    fc.assert(
      fc.property(headerValue, (header) => {
        const basic = toBasicCredentials(header)
        if (basic) {
          expect(basic.user.length).toBeGreaterThan(0)
          expect(basic.user).not.toContain(':')
          expect(basic.user).not.toMatch(/[\u0000-\u001f\u007f]/)
        }
        const token = toBearerToken(header)
        if (token !== undefined) expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/)
      }),
      { numRuns: 5000 },
    )
  })

  it('reads back any user and password a client encodes', () => {
    const user = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((u) => !/[:\u0000-\u001f\u007f]/.test(u))
    fc.assert(
      fc.property(user, fc.string({ unit: 'grapheme', maxLength: 60 }), (name, password) => {
        const parsed = toBasicCredentials(toBasic(name, password))
        expect(parsed?.user).toBe(name)
        expect(Buffer.from(parsed!.password).toString('utf8')).toBe(password)
      }),
    )
  })
})

describe('challenge and scope building (fuzz)', () => {
  it('always yields one well-formed header line, whatever the realm, service and names', () => {
    fc.assert(
      fc.property(nasty, nasty, fc.array(access, { maxLength: 4 }), fc.constantFrom('missing' as const, 'invalid' as const, 'insufficient_scope' as const), (realm, service, accesses, reason) => {
        for (const value of [toBasicChallenge(realm), toBearerChallenge({ realm, service }, accesses, reason)]) {
          expect(value).toMatch(CHALLENGE)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('parses any scope without throwing and only ever yields valid repository or catalog accesses', () => {
    fc.assert(
      fc.property(fc.oneof(nasty, fc.tuple(fc.constantFrom('repository', 'registry', 'repository(plugin)', 'x'), nasty, nasty).map((parts) => parts.join(':'))), (scope) => {
        const parsed = toScopeAccess(scope)
        if (parsed === undefined || parsed === 'malformed') return
        expect(parsed.actions.length).toBeGreaterThan(0)
        if (parsed.type === 'registry') expect(parsed).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] })
        else expect(parsed.name).toMatch(/^[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+|__[a-z0-9]+)*)*$/)
      }),
      { numRuns: 5000 },
    )
  })

  it('round-trips the scopes it writes', () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?$/)
    const name = fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'))
    fc.assert(
      fc.property(name, fc.subarray(['pull', 'push', 'delete'] as const, { minLength: 1 }), (repository, actions) => {
        const item: Access = { type: 'repository', name: repository, actions: [...actions] }
        expect(toScopeAccess(toScopeList([item]))).toEqual(item)
      }),
    )
  })
})

describe('auth hooks under random input (fuzz)', () => {
  const { privateKey, publicKey } = newKeyPair('rsa')

  it('htpasswd auth never throws and never lets a random header in', async () => {
    const auth = createHtpasswdAuth({ content: `alice:${await hash('a long password nobody guesses', { cost: 4 })}`, realm: 'r' })
    await fc.assert(
      fc.asyncProperty(headerValue, async (header) => {
        const request = asRequest(header)
        fc.pre(request !== undefined)
        expect(await auth.authenticate(request, [{ type: 'repository', name: 'x', actions: ['pull'] }])).toBeUndefined()
      }),
      { numRuns: 300 },
    )
  })

  it('token auth never throws and never accepts a forged or random token', async () => {
    const auth = createTokenAuth({ realm: 'http://a/token', service: 'registry.test', issuer: 'wharf-test-issuer', keys: { publicKey } })
    // Well-formed headers naming the trusted key, so forged payloads reach signature verification.
    const kid = toLibtrustKeyId(publicKey)
    const forgedHeader = fc.constantFrom({ alg: 'RS256', kid }, { alg: 'RS256' }, { alg: 'PS256', kid }, { alg: 'none' }, { alg: 'HS256', kid })
    const forged = fc
      .tuple(forgedHeader, fc.jsonValue(), fc.base64String({ maxLength: 400 }))
      .map(([h, p, sig]) => [h, p].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.' + sig.replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_'))
    await fc.assert(
      fc.asyncProperty(fc.oneof(headerValue, jwtLike.map((jwt) => `Bearer ${jwt}`), forged.map((jwt) => `Bearer ${jwt}`)), async (header) => {
        const request = asRequest(header)
        fc.pre(request !== undefined)
        expect(await auth.authenticate(request, [])).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
  })

  it('the token server never fails on random scopes and grants anonymous callers nothing by default', async () => {
    const issue = newTokenServer(privateKey)
    await fc.assert(
      fc.asyncProperty(fc.array(nasty, { maxLength: 4 }), async (scopes) => {
        const url = new URL('http://auth.test/token')
        for (const scope of scopes) url.searchParams.append('scope', scope)
        const response = await issue(new Request(url))
        expect([200, 400]).toContain(response.status)
        if (response.status === 200) expect(decodeJwt(((await response.json()) as { token: string }).token)['access']).toEqual([])
      }),
      { numRuns: 500 },
    )
  })

  it('htpasswd parsing either refuses the file or keeps only bcrypt entries', () => {
    const line = fc.oneof(nasty, fc.tuple(nasty, nasty).map(([u, h]) => `${u}:${h}`), fc.constant('u:$2y$05$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234'))
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
        try {
          for (const stored of parseHtpasswd(lines.join('\n')).values()) expect(stored).toMatch(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/)
        } catch (error) {
          expect(error).toBeInstanceOf(HtpasswdError)
        }
      }),
      { numRuns: 3000 },
    )
  })
})
