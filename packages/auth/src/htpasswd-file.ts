import { parseOptions } from '@node-rs/bcrypt'

/**
 * Parsing of htpasswd files as registry:2 reads them: one `user:hash` per line, blank lines and
 * lines starting with `#` ignored, surrounding whitespace trimmed. Only bcrypt hashes (`$2a$`,
 * `$2b$`, `$2y$`, what `htpasswd -B` writes) are accepted; any other format is an error naming
 * the line and user, never silently a user who cannot log in (or, for plain text, anyone can).
 */

/** Thrown for an htpasswd file that cannot be used as a whole. Never contains a hash or password. */
export class HtpasswdError extends Error {
  override readonly name = 'HtpasswdError'
}

/** User name → bcrypt hash. */
export type HtpasswdEntries = ReadonlyMap<string, string>

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

/** Parses htpasswd content. Throws `HtpasswdError` at the first unusable line. */
export function parseHtpasswd(content: string, source = 'htpasswd'): HtpasswdEntries {
  const entries = new Map<string, string>()
  const lines = content.split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const where = `${source} line ${index + 1}`
    const colon = line.indexOf(':')
    if (colon <= 0) throw new HtpasswdError(`${where}: expected user:hash`)
    const user = line.slice(0, colon)
    const hash = line.slice(colon + 1)
    if (entries.has(user)) throw new HtpasswdError(`${where}: user ${JSON.stringify(user)} appears twice`)
    if (!BCRYPT.test(hash) || !isParseableBcrypt(hash)) {
      throw new HtpasswdError(
        `${where}: user ${JSON.stringify(user)} has a ${describeHash(hash)}; only bcrypt ($2y$, $2b$, $2a$) is accepted — recreate it with \`htpasswd -B\``,
      )
    }
    entries.set(user, hash)
  }
  return entries
}

function isParseableBcrypt(hash: string): boolean {
  try {
    parseOptions(hash)
    return true
  } catch {
    return false
  }
}

function describeHash(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'MD5 ($apr1$) hash'
  if (hash.startsWith('{SHA}')) return 'SHA-1 ({SHA}) hash'
  if (hash.startsWith('$1$')) return 'MD5-crypt ($1$) hash'
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt hash'
  if (hash.startsWith('$2')) return 'malformed bcrypt hash'
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'DES crypt hash or plain-text password'
  return 'plain-text password or unknown hash format'
}
