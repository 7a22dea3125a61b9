import { readFileSync } from 'node:fs'
import { ConfigError } from './config-error.js'
import { yaml } from './yaml.js'

/** A configuration as YAML gives it: nested plain objects, arrays and scalars, before any checking. */
export type ConfigDocument = Record<string, unknown>

/** Where a key's value came from, for messages: the environment variable that set it. */
export type ConfigSources = Map<string, string>

/** The variable that names the configuration file when the CLI gets none; never read as a key. */
export const CONFIGURATION_PATH_VARIABLE = 'REGISTRY_CONFIGURATION_PATH'

/** Sections whose value may be just the name of the one variant to use (`REGISTRY_STORAGE=s3`). */
const SELECTOR_SECTIONS: Record<string, readonly string[]> = {
  // The storage keys that are settings, not drivers: selecting a driver keeps them.
  storage: ['delete', 'redirect', 'maintenance', 'cache', 'tag'],
  auth: [],
}

/** Reads a YAML configuration file. Throws ConfigError for a missing file, bad YAML or a non-mapping. */
export function readConfigFile(path: string): ConfigDocument {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read the configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
  return toConfigDocument(text, path)
}

/** Parses YAML text into a document (an empty file is an empty document). */
export function toConfigDocument(text: string, origin = 'configuration'): ConfigDocument {
  let value: unknown
  try {
    value = yaml().parse(text)
  } catch (error) {
    if (error instanceof yaml().YAMLParseError) {
      const at = error.linePos?.[0]
      throw new ConfigError(`${origin}${at ? ` line ${at.line}, column ${at.col}` : ''}: invalid YAML: ${error.message.split('\n')[0]}`)
    }
    throw error
  }
  if (value === null || value === undefined) return {}
  if (!isPlainObject(value)) throw new ConfigError(`${origin}: expected a YAML mapping of settings at the top level`)
  return value
}

/** True for a plain (YAML mapping) object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Applies registry:2 environment overrides to a copy of `document`: `REGISTRY_STORAGE_S3_BUCKET=b`
 * sets `storage.s3.bucket`, creating the sections it needs (keys never contain `_`, so each `_` is a
 * level). Values stay strings here; the typed reading of each key parses them (booleans, numbers,
 * durations, and YAML for lists and maps), so `REGISTRY_HTTP_HEADERS='{X-Frame-Options: [DENY]}'`
 * works as in registry:2. `REGISTRY_STORAGE=<driver>` and `REGISTRY_AUTH=<scheme>` select one
 * variant: the others in the file are dropped, the section's other settings (`storage.delete`, …)
 * kept. Variables are applied shortest path first, so a selection never erases a later setting.
 * A numeric segment indexes a list (`REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL`), also one given as YAML by
 * a shorter variable.
 */
export function applyEnvironment(
  document: ConfigDocument,
  env: Readonly<Record<string, string | undefined>>,
): { document: ConfigDocument; sources: ConfigSources } {
  const result = structuredClone(document)
  const sources: ConfigSources = new Map()
  const overrides = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].startsWith('REGISTRY_') && entry[0] !== CONFIGURATION_PATH_VARIABLE && entry[1] !== undefined)
    .map(([name, value]) => ({ name, value, path: name.slice('REGISTRY_'.length).toLowerCase().split('_') }))
    .sort((a, b) => a.path.length - b.path.length || (a.name < b.name ? -1 : 1))
  for (const { name, value, path } of overrides) {
    if (path.some((segment) => segment === '')) {
      throw new ConfigError(`${name}: not a configuration variable (empty key between underscores)`)
    }
    const section = path.length === 1 ? SELECTOR_SECTIONS[path[0]!] : undefined
    if (section) {
      selectVariant(result, path[0]!, value.trim(), section, sources, name)
      continue
    }
    setPath(result, path, value)
    sources.set(path.join('.'), name)
  }
  return { document: result, sources }
}

function selectVariant(
  document: ConfigDocument,
  sectionName: string,
  variant: string,
  settings: readonly string[],
  sources: ConfigSources,
  variable: string,
): void {
  if (!/^[a-z0-9]+$/i.test(variant)) throw new ConfigError(`${variable}: expected the name of one ${sectionName} ${sectionName === 'auth' ? 'scheme' : 'driver'}, got ${JSON.stringify(variant)}`)
  const name = variant.toLowerCase()
  const current = isPlainObject(document[sectionName]) ? (document[sectionName] as Record<string, unknown>) : {}
  const next: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(current)) {
    if (settings.includes(key) || key === name) next[key] = value
  }
  if (!isPlainObject(next[name])) next[name] = {}
  document[sectionName] = next
  sources.set(`${sectionName}.${name}`, variable)
}

function setPath(document: ConfigDocument, path: readonly string[], value: string): void {
  let node: Record<string, unknown> | unknown[] = document
  for (let i = 0; i < path.length - 1; i++) {
    const key = toKey(node, path[i]!)
    let next = (node as Record<string | number, unknown>)[key]
    // A list or mapping given whole by a shorter variable, refined by this one.
    if (typeof next === 'string') next = parseStructured(next)
    if (typeof next !== 'object' || next === null) next = /^\d+$/.test(path[i + 1]!) ? [] : {}
    ;(node as Record<string | number, unknown>)[key] = next
    node = next as Record<string, unknown> | unknown[]
  }
  ;(node as Record<string | number, unknown>)[toKey(node, path[path.length - 1]!)] = value
}

function parseStructured(text: string): unknown {
  try {
    return yaml().parse(text)
  } catch {
    return undefined
  }
}

function toKey(node: Record<string, unknown> | unknown[], segment: string): string | number {
  return Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment
}
