// What the example makes in its data directory on first start: an htpasswd file with one user, and
// the private key tokens are signed with. Existing files are never touched.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hash } from '@node-rs/bcrypt'

/**
 * Makes sure `path` is an htpasswd file. When it is missing, writes one holding user `admin` with
 * `password` (or a random one when not given) and returns that password; returns undefined when
 * the file already existed (or another process created it first).
 */
export async function ensureHtpasswd(path, password) {
  if (existsSync(path)) return undefined
  const chosen = password || randomBytes(18).toString('base64url')
  // Same format as `htpasswd -Bbn admin PASSWORD`; cost 10 is bcrypt's usual default.
  const line = `admin:${await hash(chosen, { cost: 10, version: '2y' })}\n`
  return writeIfMissing(path, line) ? chosen : undefined
}

/**
 * The PEM private key at `path`; when missing, a new P-256 key (tokens are then signed ES256) is
 * written there first, readable by the owner only.
 */
export function ensureSigningKey(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  writeIfMissing(path, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  // Read back: if another process won the race, its key is the one in force.
  return readFileSync(path, 'utf8')
}

/**
 * Creates `path` with `content` unless it exists; true if this call created it. The content is
 * written to a temporary file first and then hard-linked into place, so nobody ever sees a
 * half-written file, and an existing file is never replaced (link fails with EEXIST).
 */
function writeIfMissing(path, content) {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' })
  try {
    linkSync(temporary, path)
    return true
  } catch (error) {
    if (error.code === 'EEXIST') return false
    throw error
  } finally {
    rmSync(temporary, { force: true })
  }
}
