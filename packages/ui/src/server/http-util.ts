/**
 * Response helpers shared by the UI's pages and API. Every answer carries the same security headers:
 * a Content-Security-Policy that allows only this origin's own script, style and fetches (no
 * `unsafe-inline`, no other host: the UI must work air-gapped and an injected string must not run),
 * no framing, no MIME sniffing and no referrer leaking repository names elsewhere.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/** A JSON answer that no cache keeps (it depends on who asks). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  })
}

/** `{ error }` with a status; the message is shown to the user as is. */
export function fail(status: number, error: string, headers: Record<string, string> = {}): Response {
  return json(status, { error }, headers)
}

/** Cookies of a request, by name (the first of each). */
export function readCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim())
  }
  return cookies
}

/** Options of {@link toCookie}. */
export interface CookieOptions {
  path: string
  /** Seconds; 0 removes the cookie. */
  maxAge: number
  secure: boolean
}

/**
 * A `Set-Cookie` value. Always `HttpOnly` (no script reads it, so an injected one could not steal
 * it) and `SameSite=Strict` (no other site's page sends it, the first CSRF defence); `Secure` on TLS.
 */
export function toCookie(name: string, value: string, options: CookieOptions): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAge}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`
}

/** Runs `fn` over `items` with at most `limit` calls at once, keeping the order of the results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
