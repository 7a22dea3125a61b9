import type { IncomingMessage } from 'node:http'
import { REQUEST_BODY, type HeaderReader, type RegistryRequest } from '@wharf/core'
import { isHostHeader } from './host-header.js'
import { toBadRequest, toRequestTarget } from './request-target.js'

const BODYLESS = new Set(['GET', 'HEAD'])

/** The Host header, refusing a request that carries more than one (RFC 9112 §3.2). */
function toHostHeader(req: IncomingMessage): string | undefined {
  // Node keeps only the first of repeated Host headers; the raw list shows whether there were more.
  let host: string | undefined
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue
    if (host !== undefined) throw toBadRequest('more than one Host header')
    host = raw[i + 1]!
  }
  return host
}

/** The authority a request is addressed to: the absolute-form target's, else the checked Host header. */
function toAuthority(req: IncomingMessage, targetAuthority: string | undefined): string {
  if (targetAuthority !== undefined) {
    if (!isHostHeader(targetAuthority) || targetAuthority === '') throw toBadRequest('malformed authority in the request target')
    return targetAuthority
  }
  const host = toHostHeader(req)
  if (host === undefined || host === '') {
    // HTTP/1.0 clients may omit Host; HTTP/1.1 requires it (RFC 9112 §3.2).
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return 'localhost'
    throw toBadRequest('missing Host header')
  }
  if (!isHostHeader(host)) throw toBadRequest('malformed Host header', { host: host.slice(0, 256) })
  return host
}

/**
 * The absolute URL of a Node request (the registry needs scheme and host for `Location`). Its path
 * and query are the request target's, exactly: the Host header only fills the authority, and only
 * once it is a plain `host[:port]`. Throws a 400 `RegistryError` for a malformed Host, a target
 * that is neither origin-form nor absolute-form, or dot segments (which a URL parser would resolve,
 * routing to another path than the one the client and any proxy saw). The path is passed on as
 * sent, not normalised: the registry routes on that raw text.
 */
export function toRequestUrl(req: IncomingMessage): string {
  const target = toRequestTarget(req.url ?? '/')
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true
  const url = `${encrypted ? 'https' : 'http'}://${toAuthority(req, target.authority)}${target.originForm}`
  // A port beyond 65535 or a malformed IPv6 literal passes the Host grammar but not a URL parser.
  if (!URL.canParse(url)) throw toBadRequest('malformed Host header or request target')
  return url
}

/** Case-insensitive reads of Node's (already lower-cased) header object, without copying it. */
function toHeaderReader(req: IncomingMessage): HeaderReader {
  return {
    get(name) {
      const value = req.headers[name.toLowerCase()]
      if (value === undefined) return null
      return Array.isArray(value) ? value.join(', ') : value
    },
    has: (name) => req.headers[name.toLowerCase()] !== undefined,
  }
}

/**
 * The registry's view of a Node request, built without a Web `Request`: the URL string, a header
 * reader over `req.headers`, and the body (the Node stream itself, or `body` when given, such as the
 * stream wrapped by an idle-body watch), read with backpressure. This is what the node:http,
 * Express, Koa and Fastify adapters hand to `registry.handle`. Throws like {@link toRequestUrl}.
 */
export function toRegistryRequest(req: IncomingMessage, body: AsyncIterable<Uint8Array> = req): RegistryRequest {
  const method = req.method ?? 'GET'
  return {
    method,
    url: toRequestUrl(req),
    headers: toHeaderReader(req),
    ...(BODYLESS.has(method) ? {} : { [REQUEST_BODY]: body }),
  }
}
