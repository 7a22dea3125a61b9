/**
 * True when a request target (path with an optional query string) belongs to the registry API:
 * `/v2`, `/v2/` or anything below `/v2/`. Everything else (`/v2x`, `/api/v2/…`) is the host app's.
 * Adapters use it to decide between serving a request and passing it on.
 */
export function isRegistryPath(target: string): boolean {
  if (!target.startsWith('/v2')) return false
  const next = target.charCodeAt(3)
  // Nothing, '/', '?' or '#' may follow "/v2"; "/v2foo" is not the registry's.
  return Number.isNaN(next) || next === 0x2f || next === 0x3f || next === 0x23
}
