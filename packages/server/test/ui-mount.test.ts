import { afterEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'

describe('the web UI in the standalone server', () => {
  let server: TestServer | undefined
  let dir: { path: string; remove(): Promise<void> } | undefined
  afterEach(async () => {
    await server?.close()
    await dir?.remove()
    server = undefined
  })

  async function start(yaml = '', env: Record<string, string> = {}) {
    dir = await createTempDir()
    server = await startFromYaml(`storage: { filesystem: { rootdirectory: ${dir.path} } }\n${yaml}`, { env })
    return server
  }

  it('serves /ui/ by default and redirects / there, on the same origin as /v2', async () => {
    const { url, warnings } = await start()
    expect(warnings).toEqual([])
    const root = await fetch(`${url}/`, { redirect: 'manual' })
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/ui/')
    const page = await fetch(`${url}/ui/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline')
    expect(await page.text()).toContain('/ui/assets/app.js')
    expect((await fetch(`${url}/ui/assets/app.css`)).status).toBe(200)
    const session = await (await fetch(`${url}/ui/api/session`)).json()
    expect(session).toMatchObject({ loginRequired: false, deleteEnabled: false, readOnly: false }) // a config file: deletes off, as registry:2
    expect((await fetch(`${url}/v2/`)).status).toBe(200)
  })

  it('tells the UI about read-only mode and enabled deletes', async () => {
    const { url } = await start('', { REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' })
    expect(await (await fetch(`${url}/ui/api/session`)).json()).toMatchObject({ deleteEnabled: true, readOnly: true })
  })

  it('is off with ui.enabled false or REGISTRY_UI_ENABLED=false: / answers 200 as registry:2 does', async () => {
    for (const [yaml, env] of [['ui: { enabled: false }', {}], ['', { REGISTRY_UI_ENABLED: 'false' }]] as const) {
      const { url } = await start(yaml, env)
      expect((await fetch(`${url}/`, { redirect: 'manual' })).status).toBe(200)
      expect((await fetch(`${url}/ui/`)).status).toBe(404)
      await server!.close()
      await dir!.remove()
      server = undefined
    }
  })
})
