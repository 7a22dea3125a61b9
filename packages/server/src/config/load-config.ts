import { resolve } from 'node:path'
import { applyEnvironment, CONFIGURATION_PATH_VARIABLE, readConfigFile, type ConfigDocument, type ConfigSources } from './config-document.js'
import { ConfigError } from './config-error.js'
import { ConfigReader, toDisplayPath } from './config-reader.js'
import { closestKey, isRegistry2Key } from './known-keys.js'
import type { WharfConfig } from './config-types.js'
import { readHttp } from './parse-http.js'
import { readAuth, readHealth, readLog, readNotifications } from './parse-sections.js'
import { readStorage } from './parse-storage.js'
import { readValidation } from './parse-validation.js'
import { readPolicies } from './parse-policies.js'
import { readUi } from './parse-ui.js'
import { readProxy } from './parse-proxy.js'

/** A checked configuration and what the operator should be told about it at start. */
export interface LoadedConfig {
  config: WharfConfig
  /** Human-readable remarks, e.g. the keys wharf ignored. Log them once at start. */
  warnings: string[]
  /** Keys present in the configuration that wharf does not support (display paths). */
  unsupportedKeys: string[]
  /** The configuration file read, if any. */
  path?: string
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** `REGISTRY_…` overrides to apply on top of the document (e.g. `process.env`). Default: none. */
  env?: Readonly<Record<string, string | undefined>>
  /**
   * Whether the document is a configuration file. With one, defaults are registry:2's (deletes
   * off); without (`npm start`, environment only) wharf's embedded defaults (deletes on). Default true.
   */
  fromFile?: boolean
}

/**
 * Checks a registry:2-shaped configuration object (as parsed from `config.yml`) after applying the
 * environment overrides, and fills in defaults. Throws a ConfigError naming the key and the expected
 * form for the first unusable value. A key that is neither wharf's nor registry:2's (a typo such as
 * `http.adr`) is a ConfigError too, naming the closest known key ("did you mean `http.addr`?");
 * registry:2 keys wharf does not honour are listed in `unsupportedKeys` and in one of `warnings`.
 */
export function parseConfig(document: ConfigDocument, options: ParseConfigOptions = {}): LoadedConfig {
  return parseConfigReading(document, options).loaded
}

/** {@link parseConfig}, with the dotted paths of the keys the parsers read (the README key list's test uses them). */
export function parseConfigReading(document: ConfigDocument, options: ParseConfigOptions = {}): { loaded: LoadedConfig; readKeys: string[] } {
  const { document: merged, sources } = applyEnvironment(document, options.env ?? {})
  const r = new ConfigReader(merged, sources)
  const notes: string[] = []
  r.accept('version')
  const config: WharfConfig = {
    log: readLog(r, notes),
    storage: readStorage(r, { deleteEnabled: options.fromFile === false }),
    http: readHttp(r),
    health: readHealth(r),
    notifications: readNotifications(r),
    validation: readValidation(r),
    policies: readPolicies(r),
    ui: readUi(r),
  }
  const auth = readAuth(r)
  if (auth) config.auth = auth
  const proxy = readProxy(r)
  if (proxy) config.proxy = proxy
  const unread = r.unreadPaths()
  const unknown = unread.filter((path) => !isRegistry2Key(path))
  if (unknown.length > 0) throw new ConfigError(unknown.map((path) => describeUnknown(r, path, sources)).join('; '))
  const unsupportedKeys = unread.map(toDisplayPath)
  const warnings = [...notes]
  if (unsupportedKeys.length > 0) {
    warnings.unshift(`configuration keys wharf does not support were ignored: ${unsupportedKeys.join(', ')}`)
  }
  return { loaded: { config, warnings, unsupportedKeys }, readKeys: r.readKeys() }
}

/** `http.adr (from REGISTRY_HTTP_ADR): unknown key; did you mean `http.addr` (REGISTRY_HTTP_ADDR)?` */
function describeUnknown(r: ConfigReader, path: string, sources: ConfigSources): string {
  const known = r.readKeys().filter((key) => key !== path)
  const closest = closestKey(path, known)
  let hint = ''
  if (closest !== undefined) {
    const variable = sources.has(path) ? ` (REGISTRY_${closest.replaceAll('.', '_').toUpperCase()})` : ''
    hint = `; did you mean \`${toDisplayPath(closest)}\`${variable}?`
  }
  return `${r.describe(path)}: unknown key${hint}`
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The YAML file; default `env.REGISTRY_CONFIGURATION_PATH`; none: defaults and environment only. */
  path?: string
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * Loads the configuration the way registry:2 does: the YAML file (given, or named by
 * `REGISTRY_CONFIGURATION_PATH`), then every `REGISTRY_<PATH>` variable overriding the matching key.
 * Throws a ConfigError for an unreadable file, bad YAML or an unusable value.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const path = options.path ?? (env[CONFIGURATION_PATH_VARIABLE] || undefined)
  if (path === undefined) return parseConfig({}, { env, fromFile: false })
  const loaded = parseConfig(readConfigFile(path), { env, fromFile: true })
  return { ...loaded, path: resolve(path) }
}
