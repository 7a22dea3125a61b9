import type { IncomingMessage } from 'node:http'
import { REQUEST_BODY, type HeaderReader, type RegistryRequest } from '@wharf/core'

const BODYLESS = new Set(['GET', 'HEAD'])

/** The absolute URL of a Node request (the registry needs scheme and host for `Location`). */
export function toRequestUrl(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true
  return `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`
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
 * reader over `req.headers`, and the Node stream itself as the body (read with backpressure). This is
 * what the node:http, Express, Koa and Fastify adapters hand to `registry.handle`.
 */
export function toRegistryRequest(req: IncomingMessage): RegistryRequest {
  const method = req.method ?? 'GET'
  return {
    method,
    url: toRequestUrl(req),
    headers: toHeaderReader(req),
    ...(BODYLESS.has(method) ? {} : { [REQUEST_BODY]: req }),
  }
}
