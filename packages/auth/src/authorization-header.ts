/**
 * Parsing of the `Authorization` request header (RFC 7617 Basic, RFC 6750 Bearer).
 * Everything here is untrusted input: the parsers never throw and answer `undefined` for anything
 * that is not exactly one well-formed credential.
 */

/** A user name and password from a Basic header. The password stays bytes: bcrypt hashes bytes. */
export interface BasicCredentials {
  user: string
  password: Uint8Array
}

// One token68 of standard base64 (what every client sends), optional padding, nothing after it.
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const MAX_HEADER_LENGTH = 16 * 1024

/** The scheme of an Authorization header, lower-cased (`basic`, `bearer`), or undefined without one. */
export function toAuthScheme(header: string | null | undefined): string | undefined {
  if (!header) return undefined
  const scheme = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)/.exec(header)?.[1]
  return scheme?.toLowerCase()
}

/**
 * Reads Basic credentials. The user name is decoded as UTF-8 and must not be empty, contain a
 * control character or fail to decode; the password is everything after the first `:`.
 */
export function toBasicCredentials(header: string | null | undefined): BasicCredentials | undefined {
  if (!header || header.length > MAX_HEADER_LENGTH) return undefined
  const encoded = BASIC.exec(header)?.[1]
  if (encoded === undefined || encoded.length % 4 === 1) return undefined
  const decoded = Buffer.from(encoded, 'base64')
  const colon = decoded.indexOf(0x3a)
  if (colon <= 0) return undefined
  let user: string
  try {
    user = new TextDecoder('utf-8', { fatal: true }).decode(decoded.subarray(0, colon))
  } catch {
    return undefined
  }
  if (/[\u0000-\u001f\u007f]/.test(user)) return undefined
  return { user, password: new Uint8Array(decoded.subarray(colon + 1)) }
}

/**
 * True for Basic credentials with an empty user name and password (`Basic Og==`), which clients
 * such as skopeo with `--no-creds` send after a Basic challenge: that is a caller without
 * credentials, not a failed login.
 */
export function isEmptyBasic(header: string | null | undefined): boolean {
  if (!header) return false
  const encoded = BASIC.exec(header)?.[1]
  return encoded !== undefined && Buffer.from(encoded, 'base64').toString('latin1') === ':'
}

/** Reads a Bearer token (RFC 6750 token68 syntax, which every JWT fits). */
export function toBearerToken(header: string | null | undefined): string | undefined {
  if (!header || header.length > MAX_HEADER_LENGTH) return undefined
  return BEARER.exec(header)?.[1]
}
