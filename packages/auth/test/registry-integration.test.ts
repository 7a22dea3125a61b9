import { hash } from '@node-rs/bcrypt'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AuthHooks } from '@wharf/core'
import { createHtpasswdAuth, createPolicy, createTokenAuth, createTokenServer, type Policy } from '@wharf/auth'
import { newKeyPair } from './support/keys.js'
import { everyRoute, newRegistry, pushImage, snapshot } from './support/registry.js'
import { toBasic } from './support/requests.js'
import { fetchToken, signClaims } from './support/tokens.js'

const REPO = 'team/app'
const policy: Policy = createPolicy([
  { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
  { who: 'user:reader', on: '**', allow: ['pull'] },
  { who: 'anonymous', on: 'public/**', allow: ['pull'] },
])

/** Prepares a registry holding REPO:latest and public/app:latest, and an open upload session on REPO. */
async function prepare(auth: AuthHooks, admin: (repo: string) => Promise<string>) {
  const { storage, as } = newRegistry(auth)
  const digests = await pushImage(as(await admin(REPO)), REPO, 'latest')
  await pushImage(as(await admin('public/app')), 'public/app', 'latest')
  const started = await as(await admin(REPO)).fetch(`/v2/${REPO}/blobs/uploads/`, { method: 'POST' })
  expect(started.status).toBe(202)
  const uploadId = started.headers.get('location')!.split('/').pop()!.split('?')[0]!
  return { storage, as, digests, uploadId }
}

type Setup = Awaited<ReturnType<typeof prepare>>

/** Sends every route as `authorization` and checks each answer; then checks that storage is unchanged. */
async function sendEveryRoute(setup: Setup, authorization: string | undefined, check: (route: ReturnType<typeof everyRoute>[number], response: Response) => Promise<void>, repo = REPO) {
  const before = await snapshot(setup.storage)
  for (const route of everyRoute(repo, setup.digests, setup.uploadId)) {
    const response = await setup.as(authorization).fetch(route.path, { method: route.method, headers: route.headers, body: route.body })
    await check(route, response)
  }
  expect(await snapshot(setup.storage)).toEqual(before)
}

const code = async (response: Response) => ((await response.clone().json()) as { errors: Array<{ code: string }> }).errors[0]?.code

describe('registry with htpasswd auth', () => {
  let setup: Setup
  beforeAll(async () => {
    const users = await Promise.all(['admin', 'reader'].map(async (user) => `${user}:${await hash(`${user}-pw`, { cost: 4 })}`))
    const auth = createHtpasswdAuth({ content: users.join('\n'), realm: 'wharf', policy })
    setup = await prepare(auth, async () => toBasic('admin', 'admin-pw'))
  })

  it('answers every route without credentials with 401 and a Basic challenge, storing nothing', async () => {
    await sendEveryRoute(setup, undefined, async (route, response) => {
      expect(response.status, route.name).toBe(401)
      expect(response.headers.get('www-authenticate'), route.name).toBe('Basic realm="wharf"')
      if (route.method !== 'HEAD') expect(await code(response), route.name).toBe('UNAUTHORIZED')
    })
  })

  it('answers every route with a wrong password, or an unknown user, with 401, storing nothing', async () => {
    for (const authorization of [toBasic('admin', 'wrong'), toBasic('mallory', 'admin-pw'), 'Basic Zm9v']) {
      await sendEveryRoute(setup, authorization, async (route, response) => {
        expect(response.status, route.name).toBe(401)
        expect(response.headers.get('www-authenticate'), route.name).toBe('Basic realm="wharf"')
      })
    }
  })

  it('lets a read-only user read but answers every write with 403 DENIED, storing nothing', async () => {
    await sendEveryRoute(setup, toBasic('reader', 'reader-pw'), async (route, response) => {
      if (route.name === 'GET catalog' || route.write) {
        expect(response.status, route.name).toBe(403)
        expect(await code(response), route.name).toBe('DENIED')
      } else {
        expect(response.status, route.name).toBeLessThan(300)
      }
    })
  })

  it('lets anonymous callers pull public repositories and challenges their writes', async () => {
    await sendEveryRoute(setup, undefined, async (route, response) => {
      if (route.base || route.name === 'GET catalog' || route.write) {
        expect(response.status, route.name).toBe(401)
        expect(response.headers.get('www-authenticate'), route.name).toBe('Basic realm="wharf"')
      } else {
        // Reads are let through (digests of another repository answer 404, not 401).
        expect([200, 404], route.name).toContain(response.status)
      }
    }, 'public/app')
  })
})

describe('registry with token auth', () => {
  const { privateKey, publicKey } = newKeyPair('rsa')
  const options = { realm: 'http://auth.test/token', service: 'registry.test', issuer: 'wharf-test-issuer' }
  const issue = createTokenServer({ ...options, signingKey: privateKey, policy, authenticate: (user, password) => password === `${user}-pw` })
  const tokenFor = async (scopes: string[], user = 'admin') => `Bearer ${await fetchToken(issue, scopes, [user, `${user}-pw`])}`
  const full = (repo: string) => [`repository:${repo}:pull,push,delete`, 'registry:catalog:*']
  let setup: Setup
  beforeAll(async () => {
    setup = await prepare(createTokenAuth({ ...options, keys: { publicKey } }), (repo) => tokenFor(full(repo)))
  })

  it('answers every route without a token with 401 and a Bearer challenge naming the scope, storing nothing', async () => {
    await sendEveryRoute(setup, undefined, async (route, response) => {
      expect(response.status, route.name).toBe(401)
      const challenge = response.headers.get('www-authenticate')!
      expect(challenge, route.name).toMatch(/^Bearer realm="http:\/\/auth\.test\/token",service="registry\.test"/)
      if (!route.base) expect(challenge, route.name).toMatch(route.name === 'GET catalog' ? /scope="registry:catalog:\*"/ : /scope="repository:team\/app:/)
      expect(challenge, route.name).not.toMatch(/error=/)
    })
  })

  it('answers every route with an expired, other-service, other-issuer or tampered token with 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000)
    const access = [{ type: 'repository', name: REPO, actions: ['*'] }, { type: 'registry', name: 'catalog', actions: ['*'] }]
    const claims = { iss: options.issuer, aud: options.service, sub: 'admin', access }
    const good = await tokenFor(full(REPO))
    const tampered = good.slice(0, -6) + (good.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')
    const bad = {
      expired: `Bearer ${await signClaims(privateKey, { ...claims, exp: now - 300 })}`,
      'other service': `Bearer ${await signClaims(privateKey, { ...claims, aud: 'other-registry', exp: now + 300 })}`,
      'other issuer': `Bearer ${await signClaims(privateKey, { ...claims, iss: 'someone-else', exp: now + 300 })}`,
      'untrusted key': `Bearer ${await signClaims(newKeyPair('rsa').privateKey, { ...claims, exp: now + 300 })}`,
      tampered,
    }
    for (const [kind, authorization] of Object.entries(bad)) {
      await sendEveryRoute(setup, authorization, async (route, response) => {
        expect(response.status, `${kind}: ${route.name}`).toBe(401)
        expect(response.headers.get('www-authenticate'), `${kind}: ${route.name}`).toMatch(/,error="invalid_token"$/)
      })
    }
  })

  // A valid token without the needed scope: registry:2 answers 401 error="insufficient_scope" so the
  // client fetches a wider token. The core answers 401 for anonymous tokens and 403 DENIED for
  // authenticated ones unless it honours TokenIdentity.challengeWhenDenied; both refuse and store nothing.
  const expectRefused = async (label: string, response: Response) => {
    expect([401, 403], label).toContain(response.status)
    if (response.status === 401) expect(response.headers.get('www-authenticate'), label).toMatch(/,error="insufficient_scope"$/)
    else if (!label.startsWith('HEAD')) expect(await code(response), label).toBe('DENIED')
  }

  it('refuses every route but /v2/ to a token for another repository, storing nothing', async () => {
    await sendEveryRoute(setup, await tokenFor([`repository:other/repo:pull,push,delete`]), async (route, response) => {
      if (route.base) expect(response.status, route.name).toBe(200)
      else await expectRefused(route.name, response)
    })
  })

  it('lets a pull-only token read but refuses every write, storing nothing', async () => {
    for (const authorization of [await tokenFor([`repository:${REPO}:pull`]), await tokenFor([`repository:${REPO}:pull,push,delete`], 'reader')]) {
      await sendEveryRoute(setup, authorization, async (route, response) => {
        if (route.name === 'GET catalog' || route.write) await expectRefused(route.name, response)
        else expect(response.status, route.name).toBeLessThan(300)
      })
    }
  })

  it('challenges an anonymous token lacking scope with insufficient_scope', async () => {
    const anonymous = `Bearer ${await fetchToken(issue, [`repository:${REPO}:pull`])}`
    const response = await setup.as(anonymous).fetch(`/v2/${REPO}/manifests/latest`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="http://auth.test/token",service="registry.test",scope="repository:team/app:pull",error="insufficient_scope"',
    )
    const open = await setup.as(`Bearer ${await fetchToken(issue, ['repository:public/app:pull'])}`).fetch('/v2/public/app/manifests/latest')
    expect(open.status).toBe(200)
  })

  it('falls back to a plain upload when a mount source is not granted', async () => {
    const authorization = await tokenFor([`repository:target/app:pull,push`])
    const response = await setup.as(authorization).fetch(`/v2/target/app/blobs/uploads/?mount=${setup.digests.layer}&from=${REPO}`, { method: 'POST' })
    expect(response.status).toBe(202)
    const head = await setup.as(await tokenFor(full('target/app'))).fetch(`/v2/target/app/blobs/${setup.digests.layer}`, { method: 'HEAD' })
    expect(head.status).toBe(404)
    const granted = await setup.as(await tokenFor([`repository:target/app:pull,push`, `repository:${REPO}:pull`])).fetch(`/v2/target/app/blobs/uploads/?mount=${setup.digests.layer}&from=${REPO}`, { method: 'POST' })
    expect(granted.status).toBe(201)
  })
})
