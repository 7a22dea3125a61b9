import type { CheckConfigCommand } from './check-config-command.js'
import { toGarbageCollectCommand, type GarbageCollectCommand } from './gc-args.js'

/** What the command line asks for. An error's `exitCode` is 2 unless it says otherwise. */
export type CliCommand =
  | { kind: 'serve'; configPath?: string }
  | { kind: 'migrate'; configPath?: string; dryRun: boolean }
  | GarbageCollectCommand
  | CheckConfigCommand
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error'; message: string; exitCode?: number }

export const USAGE = `Usage: wharf [serve] [config.yml]
       wharf migrate [config.yml] [--dry-run]
       wharf garbage-collect [config.yml] [-d|--dry-run] [-m|--delete-untagged] [--grace DURATION]
       wharf check-config [config.yml]     (also: wharf config check, wharf serve --check)

Starts the wharf registry. The configuration file has registry:2's format; without one,
REGISTRY_CONFIGURATION_PATH names it, or wharf runs on its defaults (127.0.0.1:5000, ./data).
Every REGISTRY_<PATH> environment variable overrides the matching key
(REGISTRY_STORAGE_S3_BUCKET sets storage.s3.bucket). A key that is neither wharf's nor
registry:2's (a typo) stops the start with exit code 2, naming the closest known key.

\`check-config\` validates the configuration as \`serve\` would, without starting, and prints
the effective configuration with credentials redacted. Exit code 0 when usable, 2 when not.

\`migrate\` writes wharf's records for the registry:2 data on the configured storage (no blob
bytes are copied); it is resumable, idempotent and safe while servers run.

\`garbage-collect\` removes what no tag reaches, online: safe while servers use the storage.
Everything written within the grace period (default 1h) is kept; \`--grace 0s\` is registry:2's
offline collection (only while nothing writes). Exit code 0 when done, 1 on any error.

Options:
  --dry-run       (migrate) count what would be written, write nothing
  -d, --dry-run   (garbage-collect) report what would be removed, remove nothing
  -m, --delete-untagged
                  (garbage-collect) also remove manifests no tag reaches
  --grace DURATION
                  (garbage-collect) keep what was written within DURATION (e.g. 1h, 30m, 0s)
  --check         (serve) same as check-config
  -h, --help      show this help
  -v, --version   show the version
`

/**
 * Reads registry:2's command line: `serve config.yml`, or just `config.yml`, or nothing; and
 * `migrate` and `garbage-collect` (gc-args.ts). Unknown options are refused with a message.
 */
export function toCliCommand(args: readonly string[]): CliCommand {
  const rest = [...args]
  if (rest.some((arg) => arg === '-h' || arg === '--help' || arg === 'help')) return { kind: 'help' }
  if (rest.some((arg) => arg === '-v' || arg === '--version' || arg === 'version')) return { kind: 'version' }
  if (rest[0] === 'migrate') {
    rest.shift()
    const dryRun = rest.includes('--dry-run')
    const args = rest.filter((arg) => arg !== '--dry-run')
    const option = args.find((arg) => arg.startsWith('-'))
    if (option) return { kind: 'error', message: `unknown option ${option}` }
    if (args.length > 1) return { kind: 'error', message: `expected at most one configuration file, got ${args.join(' ')}` }
    return { kind: 'migrate', dryRun, ...(args[0] === undefined ? {} : { configPath: args[0] }) }
  }
  if (rest[0] === 'garbage-collect') return toGarbageCollectCommand(rest.slice(1))
  if (rest[0] === 'check-config') return toCheckConfig(rest.slice(1))
  if (rest[0] === 'config' && rest[1] === 'check') return toCheckConfig(rest.slice(2))
  if (rest[0] === 'serve') rest.shift()
  if (rest.includes('--check')) return toCheckConfig(rest.filter((arg) => arg !== '--check'))
  const option = rest.find((arg) => arg.startsWith('-'))
  if (option) return { kind: 'error', message: `unknown option ${option}` }
  if (rest.length > 1) return { kind: 'error', message: `expected at most one configuration file, got ${rest.join(' ')}` }
  return rest[0] === undefined ? { kind: 'serve' } : { kind: 'serve', configPath: rest[0] }
}

function toCheckConfig(args: readonly string[]): CliCommand {
  const option = args.find((arg) => arg.startsWith('-'))
  if (option) return { kind: 'error', message: `unknown option ${option}` }
  if (args.length > 1) return { kind: 'error', message: `expected at most one configuration file, got ${args.join(' ')}` }
  return args[0] === undefined ? { kind: 'check-config' } : { kind: 'check-config', configPath: args[0] }
}
