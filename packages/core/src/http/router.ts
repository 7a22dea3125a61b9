/**
 * Maps a request path to one of the /v2 routes. Repository names may contain `/`, so routes are
 * matched from the end of the path (as distribution does): the name is whatever precedes the last
 * `/blobs/`, `/manifests/`, `/tags/list` or `/referrers/`. The name and reference are validated by
 * the caller, before anything else happens.
 */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; id: string | undefined }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }

const PATTERNS: ReadonlyArray<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?([^/]*)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2] || undefined })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/tags\/list\/?$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
]

/** The route for a path, or `undefined` when it is not part of the /v2 API. */
export function toRoute(pathname: string): Route | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' }
  if (pathname === '/v2/_catalog') return { kind: 'catalog' }
  if (!pathname.startsWith('/v2/')) return undefined
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(pathname)
    if (match) return build(match)
  }
  return undefined
}

/** The methods each route answers (HEAD wherever GET is answered). */
export const ROUTE_METHODS: Record<Route['kind'], readonly string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  blob: ['GET', 'HEAD', 'DELETE'],
  upload: ['POST', 'PATCH', 'PUT', 'GET', 'DELETE'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  tags: ['GET'],
  referrers: ['GET'],
}
