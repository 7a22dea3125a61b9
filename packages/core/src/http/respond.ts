import { RegistryError, toErrorBody } from '../errors/registry-error.js'

/** Headers every answer carries. */
export const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const

/** An answer with the API version header, an optional body and extra headers. */
export function respond(status: number, headers: Record<string, string> = {}, body: ConstructorParameters<typeof Response>[0] = null): Response {
  return new Response(body, { status, headers: { ...API_VERSION_HEADER, ...headers } })
}

/** A JSON answer with its exact Content-Length. */
export function respondJson(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  const body = new TextEncoder().encode(JSON.stringify(value))
  return respond(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers }, body)
}

/** The spec's error body for a RegistryError (no body for HEAD, whose answers carry none). */
export function respondError(error: RegistryError, method: string): Response {
  const body = new TextEncoder().encode(toErrorBody([error]))
  const headers = { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...error.headers }
  return respond(error.status, headers, method === 'HEAD' ? null : body)
}
