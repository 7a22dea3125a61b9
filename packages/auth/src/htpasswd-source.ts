import { readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { parseHtpasswd, readHtpasswd, type HtpasswdEntries, type HtpasswdWarning } from './htpasswd-file.js'

/**
 * Where the htpasswd entries come from: fixed content, or a file that is re-read when it changes.
 *
 * Change detection is by `stat` on use (at most once per `checkIntervalMs`): the path is stat'ed, not
 * a watched inode, so an editor's or a deploy tool's write-to-temp-then-rename is seen like an
 * in-place write.
 *
 * By default a line that cannot be used (see `readHtpasswd`) refuses only its user: the other
 * users of the same version are in force, and each such line is reported through `onWarning`, at
 * creation and again for each new version of the file that still holds it. With `strict`, such a
 * line makes the whole version unusable: at creation that throws; on a reload it is reported once
 * through `onError` and the previous entries stay in force.
 *
 * A file that cannot be read on a reload is reported through `onError` and the previous entries
 * stay in force; a file that disappears is reported and then nobody can log in (fail closed).
 */
export interface HtpasswdSource {
  /** The current entries, re-read first if the file changed. Never rejects. */
  entries(): Promise<HtpasswdEntries>
}

/** Options of `createHtpasswdSource`. */
export interface HtpasswdSourceOptions {
  path?: string
  content?: string
  /** Minimum time between two `stat` calls on the file; 0 checks on every use. Default 1000 ms. */
  checkIntervalMs?: number
  /** Told about a reload that failed (the previous entries stay in force). Default: a process warning. */
  onError?: (error: Error) => void
  /** Told about each line skipped (or overridden by a later line of the same user). Default: a process warning. */
  onWarning?: (warning: HtpasswdWarning) => void
  /** Refuse a whole file that has any line `onWarning` would be told about. Default false. */
  strict?: boolean
}

/**
 * Creates an `HtpasswdSource`. Reads and parses the file (or content) now, synchronously, so a
 * missing file (or, when strict, an unusable line) throws at creation rather than at the first login.
 */
export function createHtpasswdSource(options: HtpasswdSourceOptions): HtpasswdSource {
  const { path, content } = options
  if ((path === undefined) === (content === undefined)) throw new TypeError('give exactly one of `path` or `content`')
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error.message, 'WharfHtpasswdWarning'))
  const onWarning = options.onWarning ?? ((warning: HtpasswdWarning) => process.emitWarning(warning.message, 'WharfHtpasswdWarning'))
  const parse = (text: string, source: string): HtpasswdEntries => {
    if (options.strict) return parseHtpasswd(text, source)
    const { entries, warnings } = readHtpasswd(text, source)
    for (const warning of warnings) onWarning(warning)
    return entries
  }
  if (content !== undefined) {
    const fixed = parse(content, 'htpasswd')
    return { entries: async () => fixed }
  }
  const file = path as string
  const checkIntervalMs = options.checkIntervalMs ?? 1000

  const first = statSync(file)
  let current = parse(readFileSync(file, 'utf8'), file)
  let version = toVersion(first)
  let checkedAt = Date.now()
  let pending: Promise<void> | undefined
  let reportedVersion: string | undefined

  const refresh = async () => {
    let info
    try {
      info = await stat(file)
    } catch (error) {
      if (version !== 'missing') onError(new Error(`${file} cannot be read (${describe(error)}); no user can log in until it is back`))
      current = new Map()
      version = 'missing'
      return
    }
    const next = toVersion(info)
    if (next === version) return
    try {
      const text = await readFile(file, 'utf8')
      current = parse(text, file)
      version = next
      reportedVersion = undefined
    } catch (error) {
      // An unreadable file, or (strict) an unusable line: keep the old entries and report each bad
      // version once; re-read on the next change.
      if (reportedVersion !== next) onError(new Error(`${file} was not reloaded: ${describe(error)}`))
      reportedVersion = next
    }
  }

  return {
    async entries() {
      if (Date.now() - checkedAt >= checkIntervalMs) {
        // One refresh at a time; concurrent callers share it.
        pending ??= refresh().finally(() => {
          checkedAt = Date.now()
          pending = undefined
        })
        await pending
      }
      return current
    },
  }
}

function toVersion(info: { mtimeMs: number; ctimeMs: number; size: number; ino: number; dev: number }): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
