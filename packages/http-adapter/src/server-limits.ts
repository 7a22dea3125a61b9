import type { Server } from 'node:http'
import { RegistryError } from '@wharf/core'
import { answerClientError } from './client-error.js'
import { toRawErrorResponse } from './error-response.js'

/** Limits of a server that serves only the registry (`startRegistry`, the standalone `wharf`). */
export interface ServerLimits {
  /**
   * The largest request header block accepted, in bytes; a larger one is answered 431 with an error
   * body. Default 256 KiB: large bearer tokens (100 KB and more) fit, as they do with registry:2.
   */
  maxHeaderBytes?: number
  /** How long a client has to send a request's header block before it is answered 408. Default 60 s. */
  headersTimeoutMs?: number
}

/** {@link ServerLimits.maxHeaderBytes} when not set. */
export const DEFAULT_MAX_HEADER_BYTES = 256 * 1024
/** {@link ServerLimits.headersTimeoutMs} when not set. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000

/** The `http.createServer` / `https.createServer` options that carry {@link ServerLimits}. */
export function toHttpServerOptions(limits: ServerLimits = {}) {
  const headersTimeoutMs = limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
  return {
    maxHeaderSize: limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    // The listener answers a missing Host itself, with the registry's error body.
    requireHostHeader: false,
    // Node looks for expired header timeouts only this often (30 s by default), so a short timeout
    // needs a matching check interval to be honoured.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersTimeoutMs / 4))),
  }
}

/**
 * Applies {@link ServerLimits} to a server built with {@link toHttpServerOptions}: no overall request
 * timeout (a multi-GiB push is one long request; stalled bodies are cut by the listener's
 * `bodyIdleTimeoutMs` instead), a header-block timeout, and error-body answers for requests Node
 * cannot parse or route (431, 408, 400, CONNECT) instead of bare status lines or silent closes.
 */
export function applyServerLimits(server: Server, limits: ServerLimits = {}): void {
  server.requestTimeout = 0
  server.headersTimeout = limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
  server.on('clientError', answerClientError)
  // Without a listener Node drops a CONNECT (authority-form target) with no answer at all.
  server.on('connect', (_req, socket) => {
    socket.on('error', () => undefined)
    socket.end(toRawErrorResponse(new RegistryError('UNSUPPORTED', { status: 400, message: 'CONNECT (authority-form target) is not supported: this is a registry, not a proxy' })))
  })
}
