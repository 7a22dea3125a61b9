import { createMemoryDriver, createRegistry } from '@wharf/core'
import { isRegistryPath, toFetchHandler } from '@wharf/http-adapter'
import { describe, expect, it } from 'vitest'

describe('the fetch handler for Web-standard servers', () => {
  const registry = createRegistry({ storage: createMemoryDriver() })

  it('answers registry requests and, by default, 404 for anything else', async () => {
    const handle = toFetchHandler(registry)
    expect((await handle(new Request('http://h/v2/'))).status).toBe(200)
    expect((await handle(new Request('http://h/elsewhere'))).status).toBe(404)
  })

  it('with fallthrough, leaves other requests unanswered (and unread) for the host router', async () => {
    const handle = toFetchHandler(registry, { fallthrough: true })
    const own = new Request('http://h/upload', { method: 'POST', body: 'mine' })
    expect(await handle(own)).toBeUndefined()
    expect(own.bodyUsed).toBe(false)
    expect(await own.text()).toBe('mine')
    expect((await handle(new Request('http://h/v2')))?.status).toBe(200)
  })

  it('tells registry paths from look-alikes', () => {
    for (const path of ['/v2', '/v2/', '/v2/_catalog', '/v2/a/b/manifests/latest', '/v2?x=1', '/v2/?x']) expect(isRegistryPath(path)).toBe(true)
    for (const path of ['/', '/v2x', '/v20/', '/api/v2/', '/V2/', 'v2/']) expect(isRegistryPath(path)).toBe(false)
  })
})
