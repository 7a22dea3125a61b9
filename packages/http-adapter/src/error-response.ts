import { STATUS_CODES } from 'node:http'
import { toErrorBody, type RegistryError, type RegistryResponse } from '@wharf/core'

const API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' }

/**
 * The registry's answer to a request refused before it reached the registry (malformed Host or
 * target): the spec's `{"errors":[…]}` body with the error's status, as the registry itself answers.
 */
export function toErrorResponse(error: RegistryError, method: string): RegistryResponse {
  const body = new TextEncoder().encode(toErrorBody([error]))
  return {
    status: error.status,
    headers: { ...API_VERSION, 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...error.headers },
    body: method === 'HEAD' ? null : body,
  }
}

/**
 * A complete HTTP/1.1 response, as bytes to write on a socket that has no `ServerResponse` (the
 * request could not be parsed: headers too large, too slow, malformed). Always `Connection: close`.
 */
export function toRawErrorResponse(error: RegistryError): Buffer {
  const body = toErrorBody([error])
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    ...Object.entries(API_VERSION).map(([name, value]) => `${name}: ${value}`),
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ]
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`)
}
