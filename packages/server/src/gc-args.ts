import { toDurationMs } from './config/duration.js'

/** `wharf garbage-collect [config.yml] [-d] [-m] [--grace DURATION]`, read. */
export interface GarbageCollectCommand {
  kind: 'garbage-collect'
  configPath?: string
  dryRun: boolean
  deleteUntagged: boolean
  /** Absent: the online default (core's, 1 h). */
  graceMs?: number
}

/** distribution's `registry garbage-collect` exits 1 on any error; so does wharf's, flags included. */
const EXIT_ERROR = 1

const BOOLEAN_FLAGS: Record<string, 'dryRun' | 'deleteUntagged'> = {
  '-d': 'dryRun',
  '--dry-run': 'dryRun',
  '-m': 'deleteUntagged',
  '--delete-untagged': 'deleteUntagged',
}

type Parsed = GarbageCollectCommand | { kind: 'error'; message: string; exitCode: number }

/**
 * Reads the arguments after `garbage-collect` the way registry:2's cobra command does: `-d`/`--dry-run`,
 * `-m`/`--delete-untagged` (also `--dry-run=false`, and joined short flags `-dm`), anywhere on the
 * line; plus wharf's `--grace DURATION` (or `--grace=DURATION`), a Go duration such as `1h` or `0s`.
 * The configuration file is optional, as for `serve`. Errors carry exit code 1 (distribution exits 1
 * for a bad configuration; for an unknown flag it prints the error and exits 0, which hides failures
 * in cron jobs, so wharf exits 1 there too).
 */
export function toGarbageCollectCommand(args: readonly string[]): Parsed {
  const command: GarbageCollectCommand = { kind: 'garbage-collect', dryRun: false, deleteUntagged: false }
  const files: string[] = []
  const error = (message: string): Parsed => ({ kind: 'error', message, exitCode: EXIT_ERROR })
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--grace' || arg.startsWith('--grace=')) {
      const text = arg === '--grace' ? args[++i] : arg.slice('--grace='.length)
      if (text === undefined) return error('--grace needs a duration, e.g. --grace 1h (0s: collect as registry:2 does, offline)')
      const ms = toDurationMs(text)
      if (ms === undefined) return error(`invalid --grace "${text}": expected a duration such as 1h, 30m, 90s or 0s`)
      command.graceMs = ms
      continue
    }
    const [flag, value] = arg.startsWith('--') ? splitValue(arg) : [arg, undefined]
    const key = BOOLEAN_FLAGS[flag]
    if (key) {
      if (value !== undefined && value !== 'true' && value !== 'false') return error(`invalid ${flag} value "${value}": expected true or false`)
      command[key] = value !== 'false'
      continue
    }
    if (/^-[dm]{2,}$/.test(arg)) {
      for (const letter of arg.slice(1)) command[BOOLEAN_FLAGS[`-${letter}`]!] = true
      continue
    }
    if (arg.startsWith('-') && arg !== '-') return error(`unknown flag ${arg}`)
    files.push(arg)
  }
  if (files.length > 1) return error(`expected at most one configuration file, got ${files.join(' ')}`)
  if (files[0] !== undefined) command.configPath = files[0]
  return command
}

function splitValue(arg: string): [string, string | undefined] {
  const at = arg.indexOf('=')
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)]
}
