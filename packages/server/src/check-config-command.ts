import { isConfigError } from './config/config-error.js'
import { loadConfig } from './config/load-config.js'
import { redactConfig } from './config/redact-config.js'
import { yaml } from './config/yaml.js'
import { toServerOptions } from './server-options.js'

/** `wharf check-config [config.yml]` (also `wharf config check`, `wharf --check`): see {@link runCheckConfig}. */
export interface CheckConfigCommand {
  kind: 'check-config'
  configPath?: string
}

/** Where {@link runCheckConfig} writes; default the process's streams. */
export interface CheckConfigOutput {
  out(text: string): void
  err(text: string): void
}

/**
 * Validates a configuration the way `wharf serve` would, without starting: the file and the
 * `REGISTRY_…` variables are read and checked (unknown keys included), and the files it names (TLS
 * certificate and key, htpasswd, token certificates) are read; no port is opened and no network call
 * made. Prints the effective configuration as YAML with credentials redacted (stdout) and the
 * warnings `serve` would log (stderr). Resolves to the exit code: 0 when usable, 2 when not.
 */
export async function runCheckConfig(command: CheckConfigCommand, output: CheckConfigOutput = defaultOutput): Promise<number> {
  try {
    const loaded = loadConfig(command.configPath === undefined ? {} : { path: command.configPath })
    const options = await toServerOptions(loaded.config, { warnings: loaded.warnings })
    for (const warning of options.warnings ?? []) output.err(`wharf: warning: ${warning}\n`)
    const source = loaded.path ?? 'defaults and REGISTRY_* variables (no configuration file)'
    output.out(`# effective configuration from ${source} (credentials redacted)\n`)
    output.out(yaml().stringify(redactConfig(loaded.config)))
    output.err('wharf: configuration OK\n')
    return 0
  } catch (error) {
    if (!isConfigError(error)) throw error
    output.err(`wharf: configuration error: ${error.message}\n`)
    return 2
  }
}

const defaultOutput: CheckConfigOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
}
