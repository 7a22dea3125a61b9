import { hash } from '@node-rs/bcrypt'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { createHtpasswdAuth, createPolicy, createTokenServer, toLibtrustKeyId } from '@wharf/auth'
import { newKeyPair } from './support/keys.js'
import { toBasic } from './support/requests.js'
import { newTokenServer } from './support/tokens.js'

const { privateKey } = newKeyPair('rsa')
const tokenUrl = (params: Record<string, string | string[]>) => {
  const url = new URL('http://auth.test/token')
  for (const [name, value] of Object.entries(params)) for (const item of [value].flat()) url.searchParams.append(name, item)
  return url
}
const form = (fields: Record<string, string>) =>
  new Request('http://auth.test/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

describe('token endpoint', () => {
  const policy = createPolicy(
    [
      { who: 'group:team-a', on: 'team-a/**', allow: ['pull', 'push'] },
      { who: 'authenticated', on: '**', allow: ['pull'] },
      { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
    ],
    { groups: { 'team-a': ['alice'] } },
  )
  const issue = newTokenServer(privateKey, { policy, expiresInSec: 120 })

  it('answers GET with a signed token holding the requested scopes the policy allows', async () => {
    const response = await issue(
      new Request(tokenUrl({ service: 'registry.test', scope: ['repository:team-a/app:pull,push', 'repository:team-b/app:pull,push', 'registry:catalog:*'], account: 'alice', client_id: 'docker' }), {
        headers: { authorization: toBasic('alice', 'alice-pw') },
      }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ expires_in: 120 })
    expect(body['access_token']).toBe(body['token'])
    expect(Math.abs(Date.parse(body['issued_at'] as string) - Date.now())).toBeLessThan(5_000)
    const claims = decodeJwt(body['token'] as string)
    expect(claims).toMatchObject({ iss: 'wharf-test-issuer', aud: 'registry.test', sub: 'alice' })
    expect(claims['access']).toEqual([
      { type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team-b/app', actions: ['pull'] },
    ])
    expect(claims.exp! - claims.iat!).toBe(120)
    expect(decodeProtectedHeader(body['token'] as string)).toMatchObject({ alg: 'RS256', kid: toLibtrustKeyId(privateKey), typ: 'JWT' })
  })

  it('merges repeated and space-separated scopes of one repository', async () => {
    const response = await issue(new Request(tokenUrl({ scope: ['repository:team-a/app:pull', 'repository:team-a/app:push repository:x:pull'] }), { headers: { authorization: toBasic('alice', 'alice-pw') } }))
    expect(decodeJwt(((await response.json()) as { token: string }).token)['access']).toEqual([
      { type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'x', actions: ['pull'] },
    ])
  })

  it('answers the OAuth2 password grant (containerd) with access_token and scope', async () => {
    const response = await issue(form({ grant_type: 'password', username: 'admin', password: 'admin-pw', service: 'registry.test', scope: 'repository:a/b:pull,push registry:catalog:*', client_id: 'containerd' }))
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, string>
    expect(body['scope']).toBe('repository:a/b:pull,push registry:catalog:*')
    expect(decodeJwt(body['access_token']!)).toMatchObject({ sub: 'admin' })
  })

  it('refuses wrong credentials with 401 and no token, on both forms', async () => {
    const get = await issue(new Request(tokenUrl({ scope: 'repository:a:pull' }), { headers: { authorization: toBasic('alice', 'nope') } }))
    expect(get.status).toBe(401)
    expect(get.headers.get('www-authenticate')).toBe('Basic realm="wharf-test-issuer"')
    expect(JSON.stringify(await get.json())).not.toMatch(/token"/)
    const post = await issue(form({ grant_type: 'password', username: 'alice', password: 'nope' }))
    expect(post.status).toBe(401)
    expect(await post.json()).toMatchObject({ error: 'invalid_grant' })
    const garbled = await issue(new Request(tokenUrl({}), { headers: { authorization: 'Basic %%%' } }))
    expect(garbled.status).toBe(401)
  })

  it('gives anonymous callers a token with only what the policy opens to them', async () => {
    const response = await issue(new Request(tokenUrl({ service: 'registry.test', scope: 'repository:team-a/app:pull' })))
    expect(response.status).toBe(200)
    const claims = decodeJwt(((await response.json()) as { token: string }).token)
    expect(claims.sub).toBeUndefined()
    expect(claims['access']).toEqual([])
  })

  it('refuses tokens for another service, malformed scopes, other methods and grants', async () => {
    expect((await issue(new Request(tokenUrl({ service: 'elsewhere' })))).status).toBe(400)
    expect((await issue(new Request(tokenUrl({ scope: 'repository-pull' })))).status).toBe(400)
    expect((await issue(new Request(tokenUrl({ scope: 'repository::pull' })))).status).toBe(400)
    expect((await issue(new Request('http://auth.test/token', { method: 'DELETE' }))).status).toBe(405)
    const refresh = await issue(form({ grant_type: 'refresh_token', refresh_token: 'x' }))
    expect(refresh.status).toBe(400)
    expect(await refresh.json()).toMatchObject({ error: 'unsupported_grant_type' })
    const json = await issue(new Request('http://auth.test/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
    expect(json.status).toBe(400)
  })

  it('leaves out scopes it does not understand instead of granting them', async () => {
    const response = await issue(new Request(tokenUrl({ scope: ['repository:UPPER/case:pull', 'repository:ok:fly', 'registry:catalog:pull', 'plugin:x:pull', 'repository(plugin):ok:pull'] }), { headers: { authorization: toBasic('admin', 'admin-pw') } }))
    expect(decodeJwt(((await response.json()) as { token: string }).token)['access']).toEqual([{ type: 'repository', name: 'ok', actions: ['pull'] }])
  })

  it('refuses an oversized form body without reading all of it', async () => {
    const huge = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x61))
      },
    })
    const response = await issue(new Request('http://auth.test/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: huge, duplex: 'half' } as RequestInit))
    expect(response.status).toBe(413)
  })

  it('checks passwords with an htpasswd auth and passes identities with groups to the policy', async () => {
    const htpasswd = createHtpasswdAuth({ content: `carol:${await hash('carol-pw', { cost: 4 })}`, realm: 'r' })
    const viaFile = createTokenServer({ issuer: 'i', service: 's', signingKey: privateKey, authenticate: htpasswd, policy })
    const ok = await viaFile(new Request(tokenUrl({ scope: 'repository:team-a/x:push' }), { headers: { authorization: toBasic('carol', 'carol-pw') } }))
    expect(decodeJwt(((await ok.json()) as { token: string }).token)).toMatchObject({ sub: 'carol', access: [] })
    expect((await viaFile(new Request(tokenUrl({}), { headers: { authorization: toBasic('carol', 'x') } }))).status).toBe(401)

    const withGroups = createTokenServer({ issuer: 'i', service: 's', signingKey: privateKey, policy, authenticate: (user) => ({ subject: user, anonymous: false, groups: ['team-a'] }) })
    const grouped = await withGroups(new Request(tokenUrl({ scope: 'repository:team-a/x:push' }), { headers: { authorization: toBasic('dan', 'any') } }))
    expect(decodeJwt(((await grouped.json()) as { token: string }).token)['access']).toEqual([{ type: 'repository', name: 'team-a/x', actions: ['push'] }])
  })

  it('answers 500 without details when the authenticate hook throws', async () => {
    const broken = newTokenServer(privateKey, { authenticate: () => { throw new Error('database password is hunter2') } })
    const response = await broken(new Request(tokenUrl({}), { headers: { authorization: toBasic('a', 'b') } }))
    expect(response.status).toBe(500)
    expect(await response.text()).not.toMatch(/hunter2/)
  })
})
