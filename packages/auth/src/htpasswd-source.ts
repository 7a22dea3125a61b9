import { readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { parseHtpasswd, type HtpasswdEntries } from './htpasswd-file.js'

/**
 * Where the htpasswd entries come from: fixed content, or a file that is re-read when it changes.
 *
 * Change detection is by `stat` on use (at most once per `checkIntervalMs`): the path is stat'ed, not
 * a watched inode, so an editor's or a deploy tool's write-to-temp-then-rename is seen like an
 * in-place write. A changed file that does not parse (half-written, or holding a non-bcrypt line)
 * is reported through `onError` and the previous entries stay in force, so a partial file never
 * becomes visible; a file that disappears is reported and then nobody can log in (fail closed).
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
  /** Told about a reload that failed (the previous entries stay in force). */
  onError?: (error: Error) => void
}

/**
 * Creates an `HtpasswdSource`. Reads and parses the file (or content) now, synchronously, so a
 * missing file or an unusable line throws at creation rather than at the first login.
 */
export function createHtpasswdSource(options: HtpasswdSourceOptions): HtpasswdSource {
  const { path, content } = options
  if ((path === undefined) === (content === undefined)) throw new TypeError('give exactly one of `path` or `content`')
  if (content !== undefined) {
    const fixed = parseHtpasswd(content)
    return { entries: async () => fixed }
  }
  const file = path as string
  const checkIntervalMs = options.checkIntervalMs ?? 1000
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error.message, 'WharfHtpasswdWarning'))

  const first = statSync(file)
  let current = parseHtpasswd(readFileSync(file, 'utf8'), file)
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
      current = parseHtpasswd(text, file)
      version = next
      reportedVersion = undefined
    } catch (error) {
      // Keep the old entries and report each bad version once; re-read on the next change.
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
