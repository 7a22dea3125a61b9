/** Keys whose values are credentials: shown as `(redacted)`. */
const SECRET_KEYS = new Set(['accesskey', 'secretkey', 'sessiontoken', 'accountkey', 'password', 'secret'])

/** What a redacted value is shown as. */
export const REDACTED = '(redacted)'

/**
 * A copy of a configuration (a WharfConfig, or any plain object) fit to print: credentials
 * (`password`, `accesskey`, `secretkey`, `sessiontoken`, `accountkey`, `secret`) replaced by
 * `(redacted)`; notification endpoints' `url` cut to its origin (webhook URLs often carry a token in
 * the path or query) and their `headers` values redacted (`Authorization: Bearer …`); user
 * information dropped from any other URL value.
 */
export function redactConfig<T>(value: T): T {
  return redact(value, []) as T
}

function redact(value: unknown, path: readonly string[]): unknown {
  const key = path[path.length - 1] ?? ''
  if (Array.isArray(value)) return value.map((item, index) => redact(item, [...path, String(index)]))
  const underEndpoint = path[0] === 'notifications' && path[1] === 'endpoints'
  if (typeof value === 'object' && value !== null) {
    if (underEndpoint && key === 'headers') {
      return Object.fromEntries(Object.keys(value).map((name) => [name, [REDACTED]]))
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, [...path, k])]))
  }
  if (value === undefined || value === null || value === '') return value
  if (SECRET_KEYS.has(key)) return REDACTED
  if (typeof value === 'string' && /^https?:\/\//i.test(value)) {
    try {
      const url = new URL(value)
      if (underEndpoint && key === 'url') return url.pathname === '/' && url.search === '' ? url.origin + '/' : `${url.origin}/${REDACTED}`
      url.username = ''
      url.password = ''
      return url.toString()
    } catch {
      return REDACTED
    }
  }
  return value
}
