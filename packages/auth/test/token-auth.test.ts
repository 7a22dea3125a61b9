import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPrivateKey, createSecretKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Access, AuthHooks, Identity } from '@wharf/core'
import { createPolicy, createTokenAuth, toJwks, toLibtrustKeyId } from '@wharf/auth'
import { hasOpenssl, newCertificates, newKeyPair, toX5c } from './support/keys.js'
import { catalog, pull, push, toRequest } from './support/requests.js'
import { fetchToken, newTokenServer, signClaims } from './support/tokens.js'

const rsa = newKeyPair('rsa')
const ec = newKeyPair('ec')
const base = { realm: 'http://auth.test/token', service: 'registry.test', issuer: 'wharf-test-issuer' }
const bearer = (token: string) => toRequest(`Bearer ${token}`)
const now = () => Math.floor(Date.now() / 1000)

/** What the registry would do: authenticate, then the granted actions of one access. */
async function grantedTo(auth: AuthHooks, token: string, access: Access): Promise<readonly string[] | 'unauthenticated'> {
  const identity = await auth.authenticate(bearer(token), [access])
  if (!identity) return 'unauthenticated'
  return auth.authorize(identity, access)
}

describe('token server and token auth together', () => {
  const issue = newTokenServer(rsa.privateKey)
  const auth = createTokenAuth({ ...base, keys: { publicKey: rsa.publicKey } })

  it('accepts the tokens the token server issues, for exactly the granted scope', async () => {
    const token = await fetchToken(issue, ['repository:team/app:pull,push'], ['alice', 'alice-pw'])
    const identity = (await auth.authenticate(bearer(token), [push('team/app')])) as Identity
    expect(identity).toMatchObject({ subject: 'alice', anonymous: false })
    expect(await auth.authorize(identity, push('team/app'))).toEqual(['pull', 'push'])
    expect(await auth.authorize(identity, { type: 'repository', name: 'team/app', actions: ['delete'] })).toEqual([])
  })

  it('rejects a token for another repository as insufficient', async () => {
    const token = await fetchToken(issue, ['repository:team/app:pull,push'], ['alice', 'alice-pw'])
    expect(await grantedTo(auth, token, push('team/other'))).toEqual([])
    expect(auth.challenge(bearer(token), [push('team/other')], 'insufficient_scope')).toBe(
      'Bearer realm="http://auth.test/token",service="registry.test",scope="repository:team/other:pull,push",error="insufficient_scope"',
    )
  })

  it('does not let a pull token push', async () => {
    const token = await fetchToken(issue, ['repository:team/app:pull'], ['alice', 'alice-pw'])
    expect(await grantedTo(auth, token, push('team/app'))).toEqual(['pull'])
  })

  it('grants the catalog only with a registry:catalog:* scope', async () => {
    const without = await fetchToken(issue, ['repository:team/app:pull'], ['alice', 'alice-pw'])
    const withCatalog = await fetchToken(issue, ['registry:catalog:*'], ['alice', 'alice-pw'])
    expect(await grantedTo(auth, without, catalog)).toEqual([])
    expect(await grantedTo(auth, withCatalog, catalog)).toEqual(['*'])
  })

  it('marks tokens issued without credentials as anonymous, holding what the policy opens', async () => {
    const open = newTokenServer(rsa.privateKey, { policy: createPolicy([{ who: 'everyone', on: 'public/*', allow: ['pull'] }]) })
    const token = await fetchToken(open, ['repository:public/tool:pull,push', 'repository:private/x:pull'])
    const identity = (await auth.authenticate(bearer(token), [pull('public/tool')])) as Identity
    expect(identity).toMatchObject({ subject: 'anonymous', anonymous: true })
    expect(await auth.authorize(identity, push('public/tool'))).toEqual(['pull'])
    expect(await auth.authorize(identity, pull('private/x'))).toEqual([])
  })

  it('rejects an expired token, and says invalid_token in the challenge', async () => {
    const expired = await signClaims(rsa.privateKey, {
      iss: base.issuer, aud: base.service, sub: 'alice', exp: now() - 120, iat: now() - 420,
      access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
    })
    const request = bearer(expired)
    expect(await auth.authenticate(request, [pull('team/app')])).toBeUndefined()
    expect(auth.challenge(request, [pull('team/app')], 'missing')).toBe(
      'Bearer realm="http://auth.test/token",service="registry.test",scope="repository:team/app:pull",error="invalid_token"',
    )
  })

  it('tolerates clock skew within clockToleranceSec', async () => {
    const claims = { iss: base.issuer, aud: base.service, sub: 'a', exp: now() - 5, access: [] }
    expect(await auth.authenticate(bearer(await signClaims(rsa.privateKey, claims)), [])).toBeDefined()
    const strict = createTokenAuth({ ...base, keys: { publicKey: rsa.publicKey }, clockToleranceSec: 0 })
    expect(await strict.authenticate(bearer(await signClaims(rsa.privateKey, claims)), [])).toBeUndefined()
  })

  it('rejects a token that is not valid yet', async () => {
    const early = await signClaims(rsa.privateKey, { iss: base.issuer, aud: base.service, sub: 'a', nbf: now() + 600, exp: now() + 900 })
    expect(await auth.authenticate(bearer(early), [])).toBeUndefined()
  })

  it('rejects a token without exp', async () => {
    const forever = await signClaims(rsa.privateKey, { iss: base.issuer, aud: base.service, sub: 'a', access: [] })
    expect(await auth.authenticate(bearer(forever), [])).toBeUndefined()
  })

  it('rejects a token issued for another service (aud)', async () => {
    const other = newTokenServer(rsa.privateKey, { service: 'other-registry' })
    const token = await fetchToken(other, ['repository:team/app:pull'], ['alice', 'alice-pw'], 'other-registry')
    expect(await grantedTo(auth, token, pull('team/app'))).toBe('unauthenticated')
  })

  it('rejects a token from another issuer', async () => {
    const other = newTokenServer(rsa.privateKey, { issuer: 'someone-else' })
    const token = await fetchToken(other, ['repository:team/app:pull'], ['alice', 'alice-pw'])
    expect(await grantedTo(auth, token, pull('team/app'))).toBe('unauthenticated')
  })

  it('rejects a token signed by an untrusted key, even with a trusted kid', async () => {
    const stranger = newKeyPair('rsa')
    const forged = await signClaims(stranger.privateKey, { iss: base.issuer, aud: base.service, sub: 'a', exp: now() + 60 }, { kid: undefined })
    expect(await auth.authenticate(bearer(forged), [])).toBeUndefined()
    const impostor = await signClaims(stranger.privateKey, { iss: base.issuer, aud: base.service, sub: 'a', exp: now() + 60 }, { kid: toLibtrustKeyId(rsa.publicKey) })
    expect(await auth.authenticate(bearer(impostor), [])).toBeUndefined()
  })

  it('rejects a token whose signature was tampered with, or whose claims were', async () => {
    const token = await fetchToken(issue, ['repository:team/app:pull'], ['alice', 'alice-pw'])
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const middle = Math.floor(signature.length / 2)
    const flipped = signature.slice(0, middle) + (signature[middle] === 'A' ? 'B' : 'A') + signature.slice(middle + 1)
    expect(await auth.authenticate(bearer(`${header}.${payload}.${flipped}`), [])).toBeUndefined()
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    claims.access = [{ type: 'repository', name: 'team/app', actions: ['*'] }]
    const widened = Buffer.from(JSON.stringify(claims)).toString('base64url')
    expect(await auth.authenticate(bearer(`${header}.${widened}.${signature}`), [])).toBeUndefined()
  })

  it('rejects unsigned (alg none) and HMAC tokens', async () => {
    const claims = { iss: base.issuer, aud: base.service, sub: 'a', exp: now() + 60, access: [{ type: 'repository', name: 'x', actions: ['*'] }] }
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    expect(await auth.authenticate(bearer(`${encode({ alg: 'none' })}.${encode(claims)}.`), [])).toBeUndefined()
    const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' })
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(secret))
    expect(await auth.authenticate(bearer(hmac), [])).toBeUndefined()
  })

  it('rejects a token whose access claim is malformed', async () => {
    const token = await signClaims(rsa.privateKey, { iss: base.issuer, aud: base.service, sub: 'a', exp: now() + 60, access: [{ type: 'repository', name: 'x', actions: 'pull' }] })
    expect(await auth.authenticate(bearer(token), [])).toBeUndefined()
  })

  it('answers no identity without a Bearer token, with a plain challenge listing every scope', async () => {
    expect(await auth.authenticate(toRequest(), [pull('a')])).toBeUndefined()
    expect(await auth.authenticate(toRequest('Basic YTpi'), [pull('a')])).toBeUndefined()
    expect(auth.challenge(toRequest(), [pull('a'), push('b/c'), catalog], 'missing')).toBe(
      'Bearer realm="http://auth.test/token",service="registry.test",scope="repository:a:pull repository:b/c:pull,push registry:catalog:*"',
    )
    expect(auth.challenge(toRequest(), [], 'missing')).toBe('Bearer realm="http://auth.test/token",service="registry.test"')
    // A Basic header is not a bad token: the client has simply not fetched one yet.
    const basic = toRequest('Basic YTpi')
    await auth.authenticate(basic, [pull('a')])
    expect(auth.challenge(basic, [pull('a')], 'invalid')).not.toMatch(/error=/)
  })

  it('grants nothing to an identity it did not issue, whatever it claims', async () => {
    const forged = { subject: 'alice', anonymous: false, token: { claims: {}, access: [{ type: 'repository', name: 'x', actions: ['*'] }] } }
    expect(await auth.authorize(forged, pull('x'))).toEqual([])
  })

  it('narrows the token with a registry-side policy', async () => {
    const narrowed = createTokenAuth({ ...base, keys: { publicKey: rsa.publicKey }, policy: createPolicy([{ who: 'everyone', on: '**', deny: ['delete'] }, { who: 'everyone', on: '**', allow: ['*'] }]) })
    const token = await fetchToken(issue, ['repository:team/app:pull,push,delete'], ['alice', 'alice-pw'])
    const identity = (await narrowed.authenticate(bearer(token), [])) as Identity
    expect(await narrowed.authorize(identity, { type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] })).toEqual(['pull', 'push'])
  })
})

describe('token keys', () => {
  it('verifies ES256 tokens', async () => {
    const issue = newTokenServer(ec.privateKey)
    const auth = createTokenAuth({ ...base, keys: { publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }) as string } })
    const token = await fetchToken(issue, ['repository:a:pull'], ['u', 'u-pw'])
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256')
    expect(await grantedTo(auth, token, pull('a'))).toEqual(['pull'])
  })

  it('verifies with a local JWKS made by toJwks, and rejects tokens of keys not in it', async () => {
    const auth = createTokenAuth({ ...base, keys: { jwks: await toJwks(ec.privateKey) } })
    expect(await grantedTo(auth, await fetchToken(newTokenServer(ec.privateKey), ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toEqual(['pull'])
    expect(await grantedTo(auth, await fetchToken(newTokenServer(rsa.privateKey), ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toBe('unauthenticated')
  })

  describe('remote JWKS', () => {
    let url = ''
    let fetches = 0
    const server = createServer(async (_req, res) => {
      fetches++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(await toJwks(rsa.privateKey)))
    })
    beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => {
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
      resolve()
    })))
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('verifies with a JWKS fetched from a URL, fetching it once', async () => {
      const auth = createTokenAuth({ ...base, keys: { jwks: url } })
      const issue = newTokenServer(rsa.privateKey)
      for (let i = 0; i < 3; i++) {
        expect(await grantedTo(auth, await fetchToken(issue, ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toEqual(['pull'])
      }
      expect(fetches).toBe(1)
    })
  })

  describe.skipIf(!hasOpenssl)('PEM certificate bundles (registry:2 rootcertbundle)', () => {
    const rsaCerts = hasOpenssl ? newCertificates('rsa') : undefined
    const ecCerts = hasOpenssl ? newCertificates('ec') : undefined

    it('verifies tokens signed by a certificate of the bundle, chosen by kid among several', async () => {
      const auth = createTokenAuth({ ...base, keys: { certificates: `${ecCerts!.leafPem}\n${rsaCerts!.leafPem}` } })
      for (const certs of [rsaCerts!, ecCerts!]) {
        const issue = newTokenServer(createPrivateKey(certs.leafKeyPem))
        expect(await grantedTo(auth, await fetchToken(issue, ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toEqual(['pull'])
      }
    })

    it('verifies a token without kid by trying the bundle keys', async () => {
      const auth = createTokenAuth({ ...base, keys: { certificates: `${ecCerts!.leafPem}${rsaCerts!.leafPem}` } })
      const key = createPrivateKey(rsaCerts!.leafKeyPem)
      const token = await signClaims(key, { iss: base.issuer, aud: base.service, sub: 'a', exp: now() + 60, access: [] }, { kid: undefined })
      expect(await auth.authenticate(bearer(token), [])).toBeDefined()
    })

    it('follows an x5c chain from the signing certificate to a CA of the bundle', async () => {
      const auth = createTokenAuth({ ...base, keys: { certificates: rsaCerts!.caPem } })
      const key = createPrivateKey(rsaCerts!.leafKeyPem)
      const chained = newTokenServer(key, { x5c: [toX5c(rsaCerts!.leafPem)] })
      expect(await grantedTo(auth, await fetchToken(chained, ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toEqual(['pull'])
      // Same key without the chain: the CA's own key does not match, so it is refused.
      expect(await grantedTo(auth, await fetchToken(newTokenServer(key), ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toBe('unauthenticated')
    })

    it('refuses an x5c chain that ends at a CA outside the bundle', async () => {
      const auth = createTokenAuth({ ...base, keys: { certificates: ecCerts!.caPem } })
      const key = createPrivateKey(rsaCerts!.leafKeyPem)
      const chained = newTokenServer(key, { x5c: [toX5c(rsaCerts!.leafPem), toX5c(rsaCerts!.caPem)] })
      expect(await grantedTo(auth, await fetchToken(chained, ['repository:a:pull'], ['u', 'u-pw']), pull('a'))).toBe('unauthenticated')
    })

    it('fails at creation for a bundle without certificates', () => {
      expect(() => createTokenAuth({ ...base, keys: { certificates: '-----BEGIN NOTHING-----' } })).toThrowError(/no PEM certificate/)
    })
  })

  it('fails at creation without any key', () => {
    expect(() => createTokenAuth({ ...base, keys: {} })).toThrowError(/needs `keys`/)
  })

  it('refuses a symmetric key as a token key', () => {
    expect(() => createTokenAuth({ ...base, keys: { publicKey: createSecretKey(Buffer.alloc(32)) } })).toThrowError(/asymmetric/)
  })
})
