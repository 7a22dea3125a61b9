/**
 * The path of a request exactly as the client sent it.
 *
 * `new URL()` normalises paths of http(s) URLs the way a browser would: `\` becomes `/`, `.` and
 * `..` segments (also `%2e`, `%2E%2e`, …) are resolved. Routing on that normalised path would let
 * `/v2/a\b/blobs/uploads/` create repository `a/b`, or `/v2/x/..%2fvictim/…`-style targets reach
 * another repository than the one an access rule or a proxy in front of the registry saw. So the
 * route is taken from the raw text: anything that is not the plain name grammar (a `\`, a `%`, a
 * `.` or `..` component) then fails validation as NAME_INVALID instead of being rewritten.
 *
 * Adapters hand the registry `scheme://host` + the raw request target, so the raw path is still
 * there. A Web `Request` built by a runtime has already normalised its URL; nothing can undo that.
 */

/** `scheme://authority`, the part before the path of an absolute URL. */
const ORIGIN = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#\\]*/

/**
 * The raw path of an absolute URL string (no query or fragment, nothing decoded or resolved), or
 * `undefined` when the string is not of the form `scheme://authority/path…`.
 */
export function toRawPath(url: string): string | undefined {
  const origin = ORIGIN.exec(url)
  if (!origin) return undefined
  const rest = url.slice(origin[0].length)
  if (!rest.startsWith('/')) return rest === '' || rest.startsWith('?') || rest.startsWith('#') ? '/' : undefined
  const end = rest.search(/[?#]/)
  return end === -1 ? rest : rest.slice(0, end)
}
