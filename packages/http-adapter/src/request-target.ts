/**
 * The request target (RFC 9112 §3.2) as the only source of the route. The Host header never takes
 * part in it: a Host carrying a path must not be able to replace the path the client (and every
 * proxy or access rule in front of the registry) saw.
 */
import { RegistryError } from '@wharf/core'

const ABSOLUTE_FORM = /^https?:\/\//i

/**
 * A `.` or `..` segment, also percent-encoded and also between backslashes: a URL parser resolves
 * these, so a handler that routes on a parsed URL (a Web `Request`'s, say) would serve another path
 * than the one the client and every proxy in front of the registry saw. No registry route has one.
 */
const DOT_SEGMENT = /(?:^|[/\\])(?:\.|%2e){1,2}(?=[/\\?#]|$)/i

/** A request target reduced to what the registry routes on. */
export interface RequestTarget {
  /** The path and query to route on (origin-form), exactly as sent. */
  originForm: string
  /** The path part of {@link originForm}. */
  path: string
  /** `host[:port]` of an absolute-form target, which then replaces the Host header (RFC 9112 §3.2.2). */
  authority?: string
}

/** A 400 with the registry's error body, for a request whose target or Host cannot be routed. */
export function toBadRequest(message: string, detail?: unknown): RegistryError {
  return new RegistryError('UNSUPPORTED', { status: 400, message, ...(detail === undefined ? {} : { detail }) })
}

/**
 * Splits an origin-form (`/v2/…?…`) or absolute-form (`http://host/v2/…`) target into what the
 * registry routes on. Throws a 400 {@link RegistryError} for every other form (`*`, `host:port`,
 * other schemes, garbage) and for a path with dot segments.
 */
export function toRequestTarget(target: string): RequestTarget {
  let authority: string | undefined
  let rest = target
  if (ABSOLUTE_FORM.test(target)) {
    const start = target.indexOf('//') + 2
    const end = target.slice(start).search(/[/?#]/)
    authority = end === -1 ? target.slice(start) : target.slice(start, start + end)
    rest = end === -1 ? '/' : target.slice(start + end)
    if (rest.startsWith('?')) rest = `/${rest}`
  }
  if (!rest.startsWith('/')) {
    throw toBadRequest('the request target must be a path (origin-form) or an http(s) URL (absolute-form)', { target: target.slice(0, 256) })
  }
  const query = rest.search(/[?#]/)
  const path = query === -1 ? rest : rest.slice(0, query)
  if (DOT_SEGMENT.test(path)) throw toBadRequest('the request target has dot segments', { path: path.slice(0, 256) })
  return { originForm: rest, path, ...(authority === undefined ? {} : { authority }) }
}

/**
 * The path of a request target as the registry routes it (origin-form or absolute-form), or
 * `undefined` for any other form. Never throws: for routing decisions and logs, not for validation.
 */
export function toTargetPath(target: string): string | undefined {
  try {
    return toRequestTarget(target).path
  } catch {
    return undefined
  }
}
