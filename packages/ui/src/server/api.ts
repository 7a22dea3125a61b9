import { isDigest, isRepositoryName, isTag, toBodyChunks, type AuthHooks, type Registry, type RequestWithBody } from '@wharf/core'
import type { CatalogCache } from './catalog.js'
import { fail, json, readCookies, toCookie } from './http-util.js'
import { registryMessage, ViewError } from './inspect.js'
import { isCsrfToken, type Session, type SessionStore } from './sessions.js'
import { checkLogin, toViewer, type Viewer } from './viewer.js'
import { manifestView, repositoriesView, summaryView, tagsView } from './views.js'

/** What the API handlers share. */
export interface ApiContext {
  registry: Registry
  auth: AuthHooks
  catalog: CatalogCache
  sessions: SessionStore
  basePath: string
  deleteEnabled: boolean
  readOnly: boolean
  /** Whether auth is configured at all (else nobody logs in). */
  authConfigured: boolean
  secureCookies?: boolean
  idleSeconds: number
  status(): Promise<Record<string, unknown>>
}

export const SESSION_COOKIE = 'wharf_ui'
const MAX_BODY = 8192

const page = (v: string | null, fallback: number, max: number) => {
  const n = v === null ? fallback : Number(v)
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback
}

function repositoryParam(url: URL): string {
  const name = url.searchParams.get('repository') ?? ''
  if (!isRepositoryName(name)) throw new ViewError(400, 'not a repository name')
  return name
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  if (!(request.headers.get('content-type') ?? '').startsWith('application/json')) throw new ViewError(415, 'send JSON')
  // Adapters may hand the body over beside the Request (see core's REQUEST_BODY) rather than as its Web body.
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of toBodyChunks(request as RequestWithBody) ?? []) {
    size += chunk.byteLength
    if (size > MAX_BODY) throw new ViewError(413, 'request too large')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const body = JSON.parse(text) as unknown
  if (typeof body !== 'object' || body === null) throw new ViewError(400, 'send a JSON object')
  return body as Record<string, unknown>
}

/**
 * Answers `<base>/api/<route>`. Reads go through the registry's own /v2 API as the session's user
 * (so the registry's auth decides) and through its stores for what /v2 cannot say (the catalog for
 * search, tag times, usage). Changes need the session cookie (SameSite=Strict), the session's CSRF
 * token in `X-CSRF-Token` (a header no cross-site form can send) and, when sent, a same-origin `Origin`.
 */
export async function answerApi(ctx: ApiContext, request: Request, route: string): Promise<Response> {
  const url = new URL(request.url)
  const cookie = readCookies(request.headers.get('cookie')).get(SESSION_COOKIE)
  let session = ctx.sessions.get(cookie)
  const setCookie: Record<string, string> = {}
  const secure = ctx.secureCookies ?? url.protocol === 'https:'
  const issue = (s: Session) => {
    setCookie['Set-Cookie'] = toCookie(SESSION_COOKIE, s.id, { path: ctx.basePath, maxAge: ctx.idleSeconds, secure })
  }
  if (!session && route === 'session') {
    // Only the page's first call makes a kept session (and its cookie); other requests without one
    // get a throw-away session: a flood of cookie-less requests cannot evict real sessions.
    session = ctx.sessions.create()
    issue(session)
  }
  session ??= ctx.sessions.transient()
  const withCookie = (response: Response) => {
    for (const [k, v] of Object.entries(setCookie)) response.headers.set(k, v)
    return response
  }

  try {
    if (request.method === 'POST') {
      const origin = request.headers.get('origin')
      if ((origin !== null && origin !== url.origin) || !isCsrfToken(session, request.headers.get('x-csrf-token'))) {
        return withCookie(fail(403, 'refused: the request did not come from this page (CSRF check)'))
      }
      if (route === 'login') {
        const body = await readBody(request)
        const user = typeof body['user'] === 'string' ? body['user'] : ''
        const password = typeof body['password'] === 'string' ? body['password'] : ''
        if (!(await checkLogin(ctx.auth, url.origin, user, password))) return withCookie(fail(401, 'wrong user name or password'))
        // A new session id at login, so that an id known before it (fixation) is worth nothing.
        ctx.sessions.delete(session.id)
        const fresh = ctx.sessions.create()
        fresh.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
        fresh.user = user
        issue(fresh)
        return withCookie(json(200, { user, csrf: fresh.csrf }))
      }
      if (route === 'logout') {
        ctx.sessions.delete(session.id)
        setCookie['Set-Cookie'] = toCookie(SESSION_COOKIE, '', { path: ctx.basePath, maxAge: 0, secure })
        return withCookie(json(200, {}))
      }
    }
    const viewer = await toViewer(ctx.registry, ctx.auth, session, url.origin)
    if (request.method === 'GET' && route === 'session') {
      return withCookie(
        json(200, {
          user: session.user ?? null,
          authenticated: viewer !== undefined,
          loginRequired: viewer === undefined,
          canLogout: ctx.authConfigured && session.user !== undefined,
          csrf: session.csrf,
          deleteEnabled: ctx.deleteEnabled,
          readOnly: ctx.readOnly,
        }),
      )
    }
    if (!viewer) return withCookie(fail(401, 'log in to see this registry', { 'X-Login-Required': '1' }))
    return withCookie(await answerViewer(ctx, viewer, request, url, route))
  } catch (error) {
    if (error instanceof ViewError) return withCookie(fail(error.status, error.message))
    if (error instanceof SyntaxError) return withCookie(fail(400, 'malformed JSON'))
    throw error
  }
}

async function answerViewer(ctx: ApiContext, viewer: Viewer, request: Request, url: URL, route: string): Promise<Response> {
  const q = url.searchParams
  if (request.method === 'GET') {
    switch (route) {
      case 'summary':
        return json(200, await summaryView(ctx.catalog, viewer, await ctx.status()))
      case 'repositories': {
        const namespace = q.get('namespace') || undefined
        const after = q.get('after') || undefined
        const search = q.get('q') || undefined
        const query = { limit: page(q.get('n'), 50, 200), ...(namespace ? { namespace } : {}), ...(after ? { after } : {}), ...(search ? { q: search } : {}) }
        return json(200, await repositoriesView(ctx.registry, ctx.catalog, viewer, query))
      }
      case 'tags': {
        const after = q.get('after') || undefined
        const search = q.get('q') || undefined
        return json(200, await tagsView(ctx.registry, viewer, repositoryParam(url), page(q.get('n'), 25, 100), after, search))
      }
      case 'manifest': {
        const reference = q.get('reference') ?? ''
        if (!isTag(reference) && !isDigest(reference)) throw new ViewError(400, 'not a tag or digest')
        return json(200, await manifestView(viewer, repositoryParam(url), reference))
      }
    }
  }
  if (request.method === 'POST' && route === 'delete') return deleteReference(ctx, viewer, await readBody(request))
  return fail(404, 'no such API route')
}

/** Deletes one tag (only that tag) or a manifest by digest through /v2, which checks auth and settings again. */
async function deleteReference(ctx: ApiContext, viewer: Viewer, body: Record<string, unknown>): Promise<Response> {
  const repository = typeof body['repository'] === 'string' ? body['repository'] : ''
  const reference = typeof body['tag'] === 'string' ? body['tag'] : typeof body['digest'] === 'string' ? body['digest'] : ''
  if (!isRepositoryName(repository)) return fail(400, 'not a repository name')
  if (typeof body['tag'] === 'string' ? !isTag(reference) : !isDigest(reference)) return fail(400, 'not a tag or digest')
  if (ctx.readOnly) return fail(405, 'the registry is in read-only mode')
  if (!ctx.deleteEnabled) return fail(405, 'deletes are disabled on this registry (storage.delete.enabled)')
  if (!(await viewer.actions(repository)).has('delete')) return fail(403, `you may not delete in ${repository}`)
  const response = await viewer.v2(`/v2/${repository}/manifests/${reference}`, { method: 'DELETE' })
  if (response.status !== 202) return fail(response.status === 401 ? 403 : response.status, await registryMessage(response))
  ctx.catalog.invalidate()
  return json(200, { deleted: reference })
}
