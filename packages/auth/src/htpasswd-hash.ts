import { parseOptions } from '@node-rs/bcrypt'

/**
 * Which htpasswd hashes wharf can check: bcrypt only (`$2a$`, `$2b$`, `$2y$`, what `htpasswd -B`
 * writes), as registry:2. Every other format gets a name for the warning that says why its user
 * cannot log in; the name never includes any part of the hash.
 */

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

/** True for a bcrypt hash that bcrypt itself can parse (the regex alone lets e.g. a cost of 99 through). */
export function isBcryptHash(hash: string): boolean {
  if (!BCRYPT.test(hash)) return false
  try {
    parseOptions(hash)
    return true
  } catch {
    return false
  }
}

/** A name for a hash that is not usable bcrypt, e.g. `MD5 ($apr1$) hash`. */
export function describeHashFormat(hash: string): string {
  if (hash === '') return 'empty hash'
  if (hash.startsWith('$apr1$')) return 'MD5 ($apr1$) hash'
  if (hash.startsWith('{SHA}')) return 'SHA-1 ({SHA}) hash'
  if (hash.startsWith('$1$')) return 'MD5-crypt ($1$) hash'
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt hash'
  if (hash.startsWith('$2')) return 'malformed bcrypt hash'
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'DES crypt hash or plain-text password'
  return 'plain-text password or unknown hash format'
}
