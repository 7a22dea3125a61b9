import { createMemoryDriver, type AuthHooks, type RegistryEvent } from '@wharf/core'
import { describe, expect, it } from 'vitest'
import { call, registryOn, sha256 } from './helpers.js'


/** A host's hooks: "alice" may pull and push under alice/, anyone else is anonymous with pull on public/. */
const hooks: AuthHooks = {
  authenticate: (request) => {
    const header = request.headers.get('authorization')
    if (header === null) return { subject: 'anonymous', anonymous: true }
    return header === 'Bearer alice' ? { subject: 'alice', anonymous: false } : undefined
  },
  authorize: (identity, access) => {
    if (access.type === 'repository' && access.name.startsWith('public/')) return ['pull']
    if (!identity.anonymous && access.type === 'repository' && access.name.startsWith(`${identity.subject}/`)) return ['pull', 'push', 'delete']
    return []
  },
  challenge: (_request, access, reason) => `Bearer realm="test",scope="${access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ')}",reason="${reason}"`,
}

describe('auth hooks', () => {
  const alice = { Authorization: 'Bearer alice' }

  it('challenges anonymous callers who lack an action with 401 and the scope they need', async () => {
    const registry = registryOn(createMemoryDriver(), { auth: hooks })
    const res = await call(registry, '/v2/alice/app/tags/list')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="test",scope="repository:alice/app:pull",reason="missing"')
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAUTHORIZED')
  })

  it('answers wrong credentials with 401 and an authenticated caller without the action with 403 DENIED', async () => {
    const registry = registryOn(createMemoryDriver(), { auth: hooks })
    const wrong = await call(registry, '/v2/', { headers: { Authorization: 'Bearer mallory' } })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toContain('reason="invalid"')
    const denied = await call(registry, '/v2/bob/app/blobs/uploads/', { method: 'POST', headers: alice })
    expect(denied.status).toBe(403)
    expect(((await denied.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('DENIED')
  })

  it('challenges a token identity lacking an action with 401 insufficient_scope instead of 403', async () => {
    const tokenHooks: AuthHooks = { ...hooks, authenticate: () => ({ subject: 'alice', anonymous: false, challengeWhenDenied: true }) }
    const registry = registryOn(createMemoryDriver(), { auth: tokenHooks })
    const res = await call(registry, '/v2/bob/app/blobs/uploads/', { method: 'POST', headers: alice })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('reason="insufficient_scope"')
  })

  it('does not reveal whether a repository exists to a caller who may not see it', async () => {
    const registry = registryOn(createMemoryDriver(), { auth: hooks })
    await call(registry, `/v2/alice/app/blobs/uploads/?digest=${sha256('x')}`, { method: 'POST', headers: alice, body: 'x' })
    const existing = await call(registry, `/v2/alice/app/blobs/${sha256('x')}`)
    const missing = await call(registry, `/v2/alice/nothing/blobs/${sha256('x')}`)
    expect(existing.status).toBe(401)
    expect(missing.status).toBe(401)
    expect(await existing.text()).toBe(await missing.text())
  })

  it('turns a mount without pull on the source into a normal upload', async () => {
    const registry = registryOn(createMemoryDriver(), { auth: hooks })
    const res = await call(registry, `/v2/alice/app/blobs/uploads/?mount=${sha256('x')}&from=bob/secret`, { method: 'POST', headers: alice })
    expect(res.status).toBe(202)
  })

  it('needs registry:catalog:* for the catalog', async () => {
    const registry = registryOn(createMemoryDriver(), { auth: hooks })
    expect((await call(registry, '/v2/_catalog', { headers: alice })).status).toBe(403)
  })
})

describe('events', () => {
  it('reports pushes, pulls, mounts and deletes with repository, digest, tag and actor', async () => {
    const registry = registryOn(createMemoryDriver())
    const seen: RegistryEvent[] = []
    registry.events.on('*', (e) => seen.push(e))
    await call(registry, `/v2/a/blobs/uploads/?digest=${sha256('layer')}`, { method: 'POST', body: 'layer' })
    await call(registry, `/v2/b/blobs/uploads/?mount=${sha256('layer')}&from=a`, { method: 'POST' })
    await (await call(registry, `/v2/b/blobs/${sha256('layer')}`)).arrayBuffer()
    await call(registry, `/v2/b/blobs/${sha256('layer')}`, { method: 'DELETE' })
    await new Promise((r) => setTimeout(r, 0))
    expect(seen.map((e) => [e.action, e.repository, e.target.digest])).toEqual([
      ['push', 'a', sha256('layer')],
      ['mount', 'b', sha256('layer')],
      ['pull', 'b', sha256('layer')],
      ['delete', 'b', sha256('layer')],
    ])
    expect(seen[1]!.target.from).toBe('a')
    expect(seen[0]!.actor.subject).toBe('anonymous')
  })

  it('keeps serving when a listener throws', async () => {
    const registry = registryOn(createMemoryDriver())
    registry.events.on('push', () => {
      throw new Error('listener bug')
    })
    const res = await call(registry, `/v2/a/blobs/uploads/?digest=${sha256('z')}`, { method: 'POST', body: 'z' })
    expect(res.status).toBe(201)
    await new Promise((r) => setTimeout(r, 0))
  })
})

describe('read-only mode', () => {
  it('answers every write with 405 UNSUPPORTED and keeps serving reads', async () => {
    const storage = createMemoryDriver()
    await call(registryOn(storage), `/v2/a/blobs/uploads/?digest=${sha256('r')}`, { method: 'POST', body: 'r' })
    const readOnly = registryOn(storage, { readOnly: true })
    for (const [method, path] of [
      ['POST', '/v2/a/blobs/uploads/'],
      ['PUT', '/v2/a/manifests/x'],
      ['DELETE', `/v2/a/blobs/${sha256('r')}`],
      ['PATCH', '/v2/a/blobs/uploads/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const res = await call(readOnly, path, { method, ...(method === 'GET' ? {} : { body: '' }) })
      expect(res.status).toBe(405)
    }
    expect((await call(readOnly, `/v2/a/blobs/${sha256('r')}`)).status).toBe(200)
  })
})
