import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { toRoute } from '@wharf/core'
import { toTargetPath } from '@wharf/http-adapter'
import type { RouteKind } from './metrics.js'
import { NO_TRUSTED_PROXIES, toForwardedFor, toForwardedRequestId, type TrustedProxies } from './trusted-proxies.js'

/** What the server knows about one request, filled in as it goes. */
export interface RequestContext {
  /** A UUID (or a trusted proxy's `X-Request-Id`), as registry:2's `http.request.id`; also the notification events' `request.id`. */
  readonly id: string
  readonly started: bigint
  readonly method: string
  /** The path, without the query string (which is never logged). */
  readonly path: string
  readonly kind: RouteKind
  readonly repository: string | undefined
  /** The tag or digest of a manifest route, the digest of a blob or referrers route. */
  readonly reference: string | undefined
  /** Client `ip:port` (a trusted proxy's `X-Forwarded-For` client: its `ip`). */
  readonly remoteAddr: string
  readonly host: string
  readonly scheme: 'http' | 'https'
  /** The `User-Agent` header, cut to 256 characters. */
  readonly userAgent: string | undefined
  /** Request body bytes received. */
  bytesIn: number
  /** Response bytes written (body only). */
  bytesOut: number
  /** The authenticated identity's name (absent: anonymous, or not authenticated yet). */
  user?: string
  /** Digests stored by this request (push events). */
  pushedDigests?: string[]
  /** Tags stored by this request (manifest push events). */
  pushedTags?: string[]
  /** The first bytes of an error response's body (status 400 and above), to find its OCI error code. */
  errorBody?: string
}

/** Builds the context of a request from the Node request. Never throws. */
export function createRequestContext(req: IncomingMessage, trusted: TrustedProxies = NO_TRUSTED_PROXIES): RequestContext {
  // The path the registry routes on: an absolute-form target's own path, never the Host header's.
  const target = req.url ?? '/'
  const path = toTargetPath(target) ?? target.slice(0, 256)
  const route = path.startsWith('/v2') ? toRoute(path) : undefined
  const socket = req.socket
  const forwarded = toForwardedFor(req, trusted)
  const userAgent = req.headers['user-agent']
  return {
    id: toRequestId(req, trusted),
    started: process.hrtime.bigint(),
    method: req.method ?? 'GET',
    path,
    kind: route?.kind ?? 'other',
    repository: route && 'name' in route ? route.name : undefined,
    reference: route?.kind === 'manifest' ? route.reference : route && 'digest' in route ? route.digest : undefined,
    remoteAddr: forwarded ?? (socket.remoteAddress ? `${socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}` : ''),
    host: req.headers.host ?? '',
    scheme: (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    userAgent: userAgent === undefined ? undefined : userAgent.slice(0, 256),
    bytesIn: 0,
    bytesOut: 0,
  }
}

/** A trusted proxy's `X-Request-Id`, else a new UUID. */
export function toRequestId(req: IncomingMessage, trusted: TrustedProxies = NO_TRUSTED_PROXIES): string {
  return toForwardedRequestId(req, trusted) ?? randomUUID()
}

/** The OCI error code of the error response captured in `context.errorBody` (`BLOB_UNKNOWN`, …), if any. */
export function toErrorCode(context: RequestContext): string | undefined {
  return context.errorBody === undefined ? undefined : /"code"\s*:\s*"([A-Z_]+)"/.exec(context.errorBody)?.[1]
}

/** Milliseconds since the request started, to 0.1 ms. */
export function elapsedMs(context: RequestContext): number {
  return Math.round(Number(process.hrtime.bigint() - context.started) / 1e5) / 10
}
