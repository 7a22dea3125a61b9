import { createAllowAllAuth, type AuthHooks, type Registry } from '@wharf/core'
import { answerApi, type ApiContext } from './api.js'
import { findAssetsDir, loadAssets, type Assets } from './assets.js'
import { createCatalogCache } from './catalog.js'
import { fail, SECURITY_HEADERS } from './http-util.js'
import { createSessionStore } from './sessions.js'

/** Maintenance state shown on the home page, as the host knows it (e.g. the server's upload purger). */
export interface UiStatus {
  uploadPurging?: { enabled: boolean; intervalMs?: number; ageMs?: number; lastRun?: string; lastRemoved?: number }
  garbageCollection?: { enabled: boolean; intervalMs?: number; lastRun?: string; [detail: string]: unknown }
}

/** Options of {@link createUi}. */
export interface UiOptions {
  registry: Registry
  /** The auth hooks the registry was created with (default: everyone may do everything, no login). */
  auth?: AuthHooks
  /** Where the UI is mounted; default `/ui`. Its pages and API live under it, /v2 stays where it is. */
  basePath?: string
  /** As the registry's `deleteEnabled` (default true): off, no delete is offered. */
  deleteEnabled?: boolean
  /** As the registry's `readOnly` (default false): on, no delete is offered. */
  readOnly?: boolean
  /** Upload purging and GC state for the home page; the last GC the registry reported is added. */
  status?: () => UiStatus | Promise<UiStatus>
  /** Idle time after which a session ends; default 1 hour. */
  sessionIdleMs?: number
  /** Force cookies' `Secure` flag (default: on when the request came over TLS). */
  secureCookies?: boolean
}

/** The UI as a Web-standard handler: mount `fetch` with any adapter, beside the registry's /v2. */
export interface UiHandler {
  /** Answers requests under `basePath`; others get 404 (check {@link UiHandler.matches} first). */
  fetch(request: Request): Promise<Response>
  /** Whether a path belongs to the UI (`/ui` and everything under `/ui/`). */
  matches(pathname: string): boolean
  /** Bytes of the front end (JS + CSS), raw and gzipped. */
  size(): { raw: number; gzip: number }
  /** Stops listening to the registry's events. */
  close(): void
}

/**
 * Creates the web UI of a registry. It shows repositories (searchable, paged, as a namespace tree),
 * tags, manifests, configs and referrers, and deletes tags or manifests, each only when the
 * registry's settings and the user's access allow it. See the package README.
 */
export function createUi(options: UiOptions): UiHandler {
  const registry = options.registry
  const basePath = (options.basePath ?? '/ui').replace(/\/+$/, '')
  // The folder is checked now (a UI that was never built fails at creation); the files are read and
  // gzipped on first use: a server mounting the UI should not hold them until a browser comes
  // (about 0.35 MB of resident memory, issue 16).
  const assetsDir = findAssetsDir()
  let loaded: Assets | undefined
  const assets = () => (loaded ??= loadAssets(basePath, assetsDir))
  const catalog = createCatalogCache(registry)
  const idleMs = options.sessionIdleMs ?? 3_600_000
  let lastPush: string | undefined
  let lastGc: Record<string, unknown> | undefined
  const off = [
    registry.events.on('push', (event) => {
      lastPush = event.timestamp.toISOString()
      catalog.invalidate()
    }),
    registry.events.on('delete', () => catalog.invalidate()),
    registry.events.on('gc', (event) => {
      const { dryRun, manifestsDeleted, blobsDeleted, bytesReclaimed, durationMs } = event.report
      lastGc = { lastRun: event.timestamp.toISOString(), dryRun, manifestsDeleted, blobsDeleted, bytesReclaimed, durationMs }
      catalog.invalidate()
    }),
  ]
  const ctx: ApiContext = {
    registry,
    auth: options.auth ?? createAllowAllAuth(),
    authConfigured: options.auth !== undefined,
    catalog,
    sessions: createSessionStore(idleMs),
    basePath,
    deleteEnabled: options.deleteEnabled ?? true,
    readOnly: options.readOnly ?? false,
    ...(options.secureCookies === undefined ? {} : { secureCookies: options.secureCookies }),
    idleSeconds: Math.round(idleMs / 1000),
    async status() {
      const host = (await options.status?.()) ?? {}
      const gc = lastGc ? { ...host.garbageCollection, ...lastGc } : host.garbageCollection
      return { ...host, ...(gc ? { garbageCollection: gc } : {}), ...(lastPush ? { lastPush } : {}) }
    },
  }
  const matches = (pathname: string) => pathname === basePath || pathname.startsWith(`${basePath}/`)

  return {
    matches,
    size: () => assets().sizes(),
    close: () => off.forEach((stop) => stop()),
    async fetch(request) {
      const path = new URL(request.url).pathname
      if (!matches(path)) return fail(404, 'not the UI')
      const rest = path.slice(basePath.length)
      if (rest.startsWith('/api/')) return answerApi(ctx, request, rest.slice('/api/'.length))
      if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405, 'method not allowed', { Allow: 'GET, HEAD' })
      if (rest === '') return new Response(null, { status: 308, headers: { ...SECURITY_HEADERS, Location: `${basePath}/` } })
      const name = rest === '/' ? 'index.html' : rest.startsWith('/assets/') ? rest.slice('/assets/'.length) : ''
      return assets().serve(name, request) ?? fail(404, 'no such page')
    },
  }
}
