import { createMemoryDriver, createRegistry, storageKeys } from '@wharf/core'
import { createUi } from '@wharf/ui'
import { describe, expect, it } from 'vitest'

const origin = 'http://registry.test'

/** A registry whose catalog holds `count` repositories (markers written directly: no pushes needed to page them). */
async function bigCatalog(count: number) {
  const storage = createMemoryDriver()
  const names = Array.from({ length: count }, (_, i) => `team-${i % 10}/app-${String(i).padStart(5, '0')}`)
  await Promise.all(names.map((name) => storage.put(storageKeys.catalogEntry(name), new Uint8Array(0))))
  const registry = createRegistry({ storage })
  return { registry, ui: createUi({ registry }), names }
}

async function session(ui: ReturnType<typeof createUi>) {
  const response = await ui.fetch(new Request(`${origin}/ui/api/session`))
  return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await response.json()) as { csrf: string }).csrf }
}

describe('the UI API on a registry of 10,000 repositories', () => {
  it('pages, searches and groups by namespace', async () => {
    const { ui } = await bigCatalog(10_000)
    const { cookie } = await session(ui)
    const get = async (query: string) => (await ui.fetch(new Request(`${origin}/ui/api/repositories?${query}`, { headers: { cookie } }))).json() as Promise<{ total: number; next?: string; repositories: { name: string }[]; namespaces: { name: string; repositories: number }[] }>
    const first = await get('n=50')
    expect(first.total).toBe(10_000)
    expect(first.repositories).toHaveLength(50)
    expect(first.namespaces).toHaveLength(10)
    expect(first.namespaces[0]).toEqual({ name: 'team-0', repositories: 1000 })
    const second = await get(`n=50&after=${encodeURIComponent(first.next!)}`)
    expect(second.repositories[0]!.name > first.repositories[49]!.name).toBe(true)
    const found = await get('q=APP-0424')
    expect(found.repositories.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => `team-${(4240 + i) % 10}/app-0${4240 + i}`).sort())
    const inNamespace = await get('namespace=team-3&n=5')
    expect(inNamespace.total).toBe(1000)
    expect(inNamespace.repositories.every((r) => r.name.startsWith('team-3/'))).toBe(true)
    ui.close()
  })

  it('refuses changes without the session CSRF token or from another origin, and bad names', async () => {
    const { ui } = await bigCatalog(1)
    const { cookie, csrf } = await session(ui)
    const post = (headers: Record<string, string>, body: unknown) =>
      ui.fetch(new Request(`${origin}/ui/api/delete`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }))
    expect((await post({}, { repository: 'team-0/app-00000', tag: 'x' })).status).toBe(403)
    expect((await post({ 'x-csrf-token': csrf, origin: 'http://evil.test' }, { repository: 'team-0/app-00000', tag: 'x' })).status).toBe(403)
    expect((await post({ 'x-csrf-token': csrf }, { repository: '../etc', tag: 'x' })).status).toBe(400)
    expect((await post({ 'x-csrf-token': csrf }, { repository: 'team-0/app-00000', tag: 'no such' })).status).toBe(400)
    expect((await ui.fetch(new Request(`${origin}/ui/api/manifest?repository=a&reference=..%2F..`, { headers: { cookie } }))).status).toBe(400)
    ui.close()
  })

  it('refuses deletes when deletes are off or the registry is read-only, before asking the registry', async () => {
    for (const settings of [{ deleteEnabled: false }, { readOnly: true }]) {
      const ui = createUi({ registry: createRegistry({ storage: createMemoryDriver() }), ...settings })
      const { cookie, csrf } = await session(ui)
      const info = (await (await ui.fetch(new Request(`${origin}/ui/api/session`, { headers: { cookie } }))).json()) as Record<string, unknown>
      expect(info).toMatchObject({ deleteEnabled: settings.deleteEnabled ?? true, readOnly: settings.readOnly ?? false })
      const response = await ui.fetch(
        new Request(`${origin}/ui/api/delete`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ repository: 'a/b', tag: 'v1' }) }),
      )
      expect(response.status).toBe(405)
      ui.close()
    }
  })

  it('keeps the front end small', () => {
    const { ui } = { ui: createUi({ registry: createRegistry({ storage: createMemoryDriver() }) }) }
    // The README states the gzipped size; this fails if it grows past 20 kB.
    expect(ui.size().gzip).toBeLessThan(20_000)
    console.log(`front end: ${ui.size().raw} bytes, ${ui.size().gzip} bytes gzipped`)
    ui.close()
  })
})
