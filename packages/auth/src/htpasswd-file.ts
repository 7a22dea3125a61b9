import { describeHashFormat, isBcryptHash } from './htpasswd-hash.js'

/**
 * Parsing of htpasswd files as registry:2 reads them: one `user:hash` per line, blank lines and
 * lines starting with `#` ignored, surrounding whitespace trimmed, the first `:` separating the user
 * from the hash, and the last line of a user listed twice winning.
 *
 * Only bcrypt hashes can be checked (see htpasswd-hash.ts). A line that cannot be used (another
 * hash format, plain text, no colon, an empty user name) is skipped with a warning naming the line
 * and the user, so one bad line refuses one user rather than locking out everyone, as in registry:2.
 * `parseHtpasswd` is the strict form: it throws at the first such line.
 */

/** Brand shared by every copy of `@wharf/auth` in a process (see core's RegistryError for why). */
const HTPASSWD_ERROR = Symbol.for('wharf.HtpasswdError')

/** Thrown for an htpasswd file that cannot be used as a whole. Never contains a hash or password. */
export class HtpasswdError extends Error {
  override readonly name = 'HtpasswdError'

  /** `instanceof HtpasswdError` holds for one of any copy or version of `@wharf/auth`. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HTPASSWD_ERROR] === true
  }
}
Object.defineProperty(HtpasswdError.prototype, HTPASSWD_ERROR, { value: true })

/** True when `error` is an {@link HtpasswdError} (of any copy of `@wharf/auth`). */
export function isHtpasswdError(error: unknown): error is HtpasswdError {
  return error instanceof HtpasswdError
}

/** User name → bcrypt hash. */
export type HtpasswdEntries = ReadonlyMap<string, string>

/** A line of an htpasswd file that was skipped or overridden. `message` never contains a hash. */
export interface HtpasswdWarning {
  /** E.g. `/etc/htpasswd line 3: user "bob" has a MD5 ($apr1$) hash; …`. */
  message: string
  /** 1-based line number. */
  line: number
  /** The user the line names; absent when the line has none (no colon, empty name). */
  user?: string
}

/** What `readHtpasswd` found: the usable entries, and a warning per line that was not used as written. */
export interface HtpasswdContent {
  entries: HtpasswdEntries
  warnings: HtpasswdWarning[]
}

/**
 * Reads htpasswd content leniently: every usable line becomes an entry, every other line a warning.
 * A user whose last line is unusable has no entry (an earlier good line does not come back: the
 * last line is the one the administrator meant), so they are refused like an unknown user.
 */
export function readHtpasswd(content: string, source = 'htpasswd'): HtpasswdContent {
  const entries = new Map<string, string>()
  const lastLine = new Map<string, number>()
  const warnings: HtpasswdWarning[] = []
  for (const [index, raw] of content.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const number = index + 1
    const where = `${source} line ${number}`
    const colon = line.indexOf(':')
    // The line itself is never quoted: without a colon it may well be a password.
    if (colon < 0) {
      warnings.push({ line: number, message: `${where}: expected user:hash; the line is ignored` })
      continue
    }
    if (colon === 0) {
      warnings.push({ line: number, message: `${where}: empty user name; the line is ignored` })
      continue
    }
    const user = line.slice(0, colon)
    const hash = line.slice(colon + 1)
    const name = JSON.stringify(user)
    const earlier = lastLine.get(user)
    if (earlier !== undefined) {
      warnings.push({ line: number, user, message: `${where}: user ${name} is also on line ${earlier}; the last line is used, as registry:2 does` })
    }
    lastLine.set(user, number)
    if (isBcryptHash(hash)) {
      entries.set(user, hash)
      continue
    }
    entries.delete(user)
    warnings.push({
      line: number,
      user,
      message: `${where}: user ${name} has a ${describeHashFormat(hash)}; only bcrypt ($2y$, $2b$, $2a$) is accepted, so this user cannot log in until it is recreated with \`htpasswd -B\``,
    })
  }
  return { entries, warnings }
}

/** Parses htpasswd content strictly: throws `HtpasswdError` at the first line `readHtpasswd` would warn about. */
export function parseHtpasswd(content: string, source = 'htpasswd'): HtpasswdEntries {
  const { entries, warnings } = readHtpasswd(content, source)
  if (warnings.length > 0) throw new HtpasswdError(warnings[0]!.message)
  return entries
}
