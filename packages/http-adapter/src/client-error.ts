import type { Duplex } from 'node:stream'
import { RegistryError } from '@wharf/core'
import { toRawErrorResponse } from './error-response.js'

const answered = new WeakSet<Duplex>()

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 5_000

function toRefusal(error: NodeJS.ErrnoException): RegistryError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new RegistryError('UNSUPPORTED', { status: 431, message: 'the request header block is larger than the server accepts' })
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RegistryError('UNSUPPORTED', { status: 408, message: 'the request headers did not arrive in time' })
    default:
      return new RegistryError('UNSUPPORTED', { status: 400, message: 'malformed HTTP request', detail: { reason: error.code ?? 'unknown' } })
  }
}

/**
 * A `clientError` listener for a registry's own server: a request Node could not parse (header
 * block over `maxHeaderSize` → 431, headers too slow → 408, anything malformed → 400) gets an answer
 * with the registry's error body instead of Node's bare status line or a silent close. The
 * connection then only lingers to read what the client is still sending: closing with unread bytes
 * would reset it, and the client would lose the answer before reading it.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // The parser reports every later chunk of a broken request again; the first report is answered.
  if (answered.has(socket)) return
  answered.add(socket)
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy()
    return
  }
  socket.on('error', () => undefined)
  socket.end(toRawErrorResponse(toRefusal(error)))
  const cut = setTimeout(() => socket.destroy(), LINGER_MS)
  cut.unref()
  socket.once('close', () => clearTimeout(cut))
}
