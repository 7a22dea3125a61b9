import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHtpasswdAuth, createPolicy } from '@wharf/auth'
import { createRegistry, type Registry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { createUi, type UiHandler } from '@wharf/ui'

/** A registry on a temporary directory with the UI mounted at /ui, on a real port. */
export interface UiServer {
  url: string
  /** `127.0.0.1:port`, for skopeo references. */
  host: string
  registry: Registry
  ui: UiHandler
  dir: string
  close(): Promise<void>
}

/** Users of the auth variant: `admin` may do everything, `reader` may only pull `team-a/**`. */
export const USERS = { admin: 'admin-secret', reader: 'reader-secret' } as const

export async function startUiServer(options: { auth?: boolean; deleteEnabled?: boolean } = {}): Promise<UiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-ui-'))
  const auth = options.auth
    ? createHtpasswdAuth({
        realm: 'wharf',
        content: Object.entries(USERS).map(([user, password]) => execFileSync('htpasswd', ['-nbB', '-C', '5', user, password], { encoding: 'utf8' }).trim()).join('\n'),
        policy: createPolicy([
          { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
          { who: 'user:reader', on: 'team-a/**', allow: ['pull'] },
        ]),
      })
    : undefined
  const registry = createRegistry({ storage: createFsDriver({ root: join(dir, 'storage') }), ...(auth ? { auth } : {}), deleteEnabled: options.deleteEnabled ?? true })
  const ui = createUi({ registry, ...(auth ? { auth } : {}), deleteEnabled: options.deleteEnabled ?? true })
  // The UI and the registry share one origin: /ui/… to the UI, everything else to /v2.
  const listener = toNodeListener({ fetch: (request) => (ui.matches(new URL(request.url).pathname) ? ui.fetch(request) : registry.fetch(request)) })
  const server: Server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}`,
    host,
    registry,
    ui,
    dir,
    async close() {
      ui.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await registry.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
