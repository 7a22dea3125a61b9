import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { toRoute } from '@wharf/core'
import { toTargetPath } from '@wharf/http-adapter'
import type { RouteKind } from './metrics.js'

/** What the server knows about one request, filled in as it goes. */
export interface RequestContext {
  /** A UUID, as registry:2's `http.request.id`; also the notification events' `request.id`. */
  readonly id: string
  readonly started: bigint
  readonly method: string
  /** The path, without the query string (which is never logged). */
  readonly path: string
  readonly kind: RouteKind
  readonly repository: string | undefined
  /** Client `ip:port`. */
  readonly remoteAddr: string
  readonly host: string
  readonly scheme: 'http' | 'https'
  /** Request body bytes received. */
  bytesIn: number
  /** Response bytes written (body only). */
  bytesOut: number
}

/** Builds the context of a request from the Node request. Never throws. */
export function createRequestContext(req: IncomingMessage): RequestContext {
  // The path the registry routes on: an absolute-form target's own path, never the Host header's.
  const target = req.url ?? '/'
  const path = toTargetPath(target) ?? target.slice(0, 256)
  const route = path.startsWith('/v2') ? toRoute(path) : undefined
  const socket = req.socket
  return {
    id: randomUUID(),
    started: process.hrtime.bigint(),
    method: req.method ?? 'GET',
    path,
    kind: route?.kind ?? 'other',
    repository: route && 'name' in route ? route.name : undefined,
    remoteAddr: socket.remoteAddress ? `${socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}` : '',
    host: req.headers.host ?? '',
    scheme: (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    bytesIn: 0,
    bytesOut: 0,
  }
}

/** Milliseconds since the request started, to 0.1 ms. */
export function elapsedMs(context: RequestContext): number {
  return Math.round(Number(process.hrtime.bigint() - context.started) / 1e5) / 10
}
