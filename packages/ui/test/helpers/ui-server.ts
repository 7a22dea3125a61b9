import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHtpasswdAuth, createPolicy, createTokenAuth, createTokenServer } from '@wharf/auth'
import { createRegistry, type AuthHooks, type Registry } from '@wharf/core'
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
const POLICY = () =>
  createPolicy([
    { who: 'user:admin', on: ['**', 'registry:catalog'], allow: ['*'] },
    { who: 'user:reader', on: 'team-a/**', allow: ['pull'] },
  ])

/**
 * `auth: true` or `'htpasswd'`: Basic auth with USERS. `'token'`: Docker bearer tokens, issued at
 * `/token` on the same server by a token server checking USERS, with the same policy.
 */
export async function startUiServer(options: { auth?: boolean | 'htpasswd' | 'token'; deleteEnabled?: boolean } = {}): Promise<UiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-ui-'))
  // Listen first: token auth needs the server's own URL as its realm.
  let handle: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
  const server: Server = createServer(toNodeListener({ fetch: (request) => handle(request) }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const mode = options.auth === true ? 'htpasswd' : options.auth || undefined
  const htpasswd = mode
    ? createHtpasswdAuth({
        realm: 'wharf',
        content: Object.entries(USERS).map(([user, password]) => execFileSync('htpasswd', ['-nbB', '-C', '5', user, password], { encoding: 'utf8' }).trim()).join('\n'),
        policy: POLICY(),
      })
    : undefined
  let auth: AuthHooks | undefined = htpasswd
  let issueToken: ((request: Request) => Promise<Response>) | undefined
  if (mode === 'token' && htpasswd) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const names = { issuer: 'wharf-ui-test', service: 'wharf-ui-registry' }
    issueToken = createTokenServer({ ...names, signingKey: privateKey, authenticate: htpasswd, policy: POLICY() })
    auth = createTokenAuth({ ...names, realm: `http://${host}/token`, keys: { publicKey } })
  }
  const registry = createRegistry({ storage: createFsDriver({ root: join(dir, 'storage') }), ...(auth ? { auth } : {}), deleteEnabled: options.deleteEnabled ?? true })
  const ui = createUi({ registry, ...(auth ? { auth } : {}), deleteEnabled: options.deleteEnabled ?? true })
  // The UI, the token endpoint and the registry share one origin: /ui/… to the UI, /token to the token server, the rest to /v2.
  handle = (request) => {
    const { pathname } = new URL(request.url)
    if (issueToken && pathname === '/token') return issueToken(request)
    return ui.matches(pathname) ? ui.fetch(request) : registry.fetch(request)
  }
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
