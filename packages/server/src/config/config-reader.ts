import { ConfigError } from './config-error.js'
import { isPlainObject, type ConfigDocument, type ConfigSources } from './config-document.js'
import { toDurationMs } from './duration.js'
import { yaml } from './yaml.js'

/** Keys whose values are never repeated in messages (credentials; webhook URLs and headers often carry tokens). */
const SECRET_KEYS = new Set(['accesskey', 'secretkey', 'sessiontoken', 'accountkey', 'password', 'headers', 'url'])

/**
 * Typed, recording access to a configuration document. Each getter checks the value's form and
 * throws a ConfigError naming the key (and the environment variable that set it) with the expected
 * form; each key read is remembered, so that {@link ConfigReader.unread} can name every key nobody
 * understood. Strings from environment variables are parsed by the type of the key that reads them.
 * Paths are dotted; a list element is a numeric segment (`notifications.endpoints.0.url`).
 */
export class ConfigReader {
  private readonly read = new Set<string>()

  constructor(
    private readonly document: ConfigDocument,
    private readonly sources: ConfigSources = new Map(),
  ) {}

  /** Whether the key is present (even with an empty value). */
  has(path: string): boolean {
    return this.lookup(path).found
  }

  /** The raw value (undefined when absent or empty); marks the key read. */
  raw(path: string): unknown {
    this.read.add(path)
    const { value } = this.lookup(path)
    return value === null ? undefined : value
  }

  /** The raw value without marking the key read (to decide whether a value is one wharf can ignore). */
  peek(path: string): unknown {
    return this.lookup(path).value
  }

  /** Marks a key (and everything under it) as understood without reading it. */
  accept(path: string): void {
    this.read.add(path)
  }

  /** Names of the keys of a mapping (empty when absent); does not mark anything read. */
  keys(path: string): string[] {
    const { value } = this.lookup(path)
    return isPlainObject(value) ? Object.keys(value) : []
  }

  string(path: string): string | undefined {
    const value = this.raw(path)
    if (value === undefined) return undefined
    if (typeof value === 'string') return value
    if (typeof value === 'number' || typeof value === 'bigint') return String(value)
    return this.fail(path, 'a string', value)
  }

  requiredString(path: string, expected = 'a non-empty string'): string {
    const value = this.string(path)
    if (value === undefined || value.trim() === '') this.fail(path, expected, value)
    return value
  }

  boolean(path: string): boolean | undefined {
    const value = this.raw(path)
    if (value === undefined || typeof value === 'boolean') return value
    if (typeof value === 'string') {
      const word = value.trim().toLowerCase()
      if (['true', 'yes', 'on', 'y'].includes(word)) return true
      if (['false', 'no', 'off', 'n'].includes(word)) return false
    }
    return this.fail(path, 'true or false', value)
  }

  integer(path: string, range: { min?: number; max?: number } = {}): number | undefined {
    const value = this.raw(path)
    if (value === undefined) return undefined
    const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value
    const min = range.min ?? Number.MIN_SAFE_INTEGER
    const max = range.max ?? Number.MAX_SAFE_INTEGER
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
      const bounds = range.max !== undefined ? ` from ${min} to ${max}` : range.min !== undefined ? ` of at least ${min}` : ''
      return this.fail(path, `an integer${bounds}`, value)
    }
    return number
  }

  /** A Go-style duration (`10s`, `168h`, `1h30m`, `250ms`) in milliseconds. */
  duration(path: string, range: { min?: number } = {}): number | undefined {
    const value = this.raw(path)
    if (value === undefined) return undefined
    const ms = typeof value === 'string' ? toDurationMs(value) : value === 0 ? 0 : undefined
    if (ms === undefined || ms < (range.min ?? 0)) {
      const floor = range.min ? ` of at least ${range.min}ms` : ''
      return this.fail(path, `a duration${floor} such as "10s", "1m", "168h" or "250ms"`, value)
    }
    return ms
  }

  /** One of `choices` (compared case-insensitively, returned as listed). */
  choice<T extends string>(path: string, choices: readonly T[]): T | undefined {
    const value = this.string(path)
    if (value === undefined) return undefined
    const found = choices.find((choice) => choice === value.trim().toLowerCase())
    if (found === undefined) return this.fail(path, `one of ${choices.join(', ')}`, value)
    return found
  }

  /** A list of strings; a single string is a list of one. */
  stringList(path: string): string[] | undefined {
    const value = this.structured(path)
    if (value === undefined) return undefined
    const list = Array.isArray(value) ? value : [value]
    if (!list.every((item) => typeof item === 'string' || typeof item === 'number')) return this.fail(path, 'a list of strings', value)
    return list.map(String)
  }

  /** Header names to lists of values (`X-Frame-Options: [DENY]`; a single string is one value). */
  headers(path: string): Record<string, string[]> | undefined {
    const value = this.structured(path)
    if (value === undefined) return undefined
    if (!isPlainObject(value)) return this.fail(path, 'a mapping of header names to lists of values', value)
    const headers: Record<string, string[]> = {}
    for (const [name, values] of Object.entries(value)) {
      const list = Array.isArray(values) ? values : values === null || values === undefined ? [] : [values]
      const valid = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) && list.every((v) => (typeof v === 'string' || typeof v === 'number') && !/[\r\n\0]/.test(String(v)))
      if (!valid) return this.fail(`${path}.${name}`, 'a header name with a list of single-line values', values)
      headers[name] = list.map(String)
    }
    return headers
  }

  /** The length of a list of mappings (0 when absent). */
  listLength(path: string): number {
    // Not marked read: the elements' keys are read one by one, and the others must stay reportable.
    const value = this.structured(path, false)
    if (value === undefined) return 0
    if (!Array.isArray(value) || !value.every((item) => isPlainObject(item))) return this.fail(path, 'a list of mappings', value)
    return value.length
  }

  /** Throws the ConfigError for `path`: where it came from, what was expected, what was found. */
  fail(path: string, expected: string, value: unknown): never {
    const leaf = path.split('.').pop() ?? path
    const shown = SECRET_KEYS.has(leaf) || path.split('.').some((s) => SECRET_KEYS.has(s)) ? '(value hidden)' : JSON.stringify(value) ?? String(value)
    throw new ConfigError(`${this.describe(path)}: expected ${expected}, got ${shown}`)
  }

  /** `storage.s3.bucket` or `storage.s3.bucket (from REGISTRY_STORAGE_S3_BUCKET)`. */
  describe(path: string): string {
    const shown = toDisplayPath(path)
    const variable = this.sources.get(path)
    return variable ? `${shown} (from ${variable})` : shown
  }

  /** Every key present in the document that no getter read nor {@link accept} covered, as display paths. */
  unread(): string[] {
    return this.unreadPaths().map(toDisplayPath)
  }

  /** The keys read (or accepted) so far, as dotted paths. */
  readKeys(): string[] {
    return [...this.read]
  }

  /** Like {@link unread}, as dotted paths (`notifications.endpoints.0.url`). */
  unreadPaths(): string[] {
    const found: string[] = []
    const visit = (value: unknown, path: string) => {
      if (path !== '' && this.isCovered(path)) return
      if (isPlainObject(value)) {
        for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key)
      } else if (Array.isArray(value) && value.some((item) => isPlainObject(item))) {
        value.forEach((item, index) => visit(item, `${path}.${index}`))
      } else if (path !== '') {
        found.push(path)
      }
    }
    visit(this.document, '')
    return found
  }

  private isCovered(path: string): boolean {
    if (this.read.has(path)) return true
    let cut = path.lastIndexOf('.')
    while (cut > 0) {
      if (this.read.has(path.slice(0, cut))) return true
      cut = path.lastIndexOf('.', cut - 1)
    }
    return false
  }

  /** A value that may be a list or mapping; when an environment variable set it, its text is YAML. */
  private structured(path: string, mark = true): unknown {
    if (mark) this.read.add(path)
    const { value } = this.lookup(path)
    if (typeof value !== 'string' || !this.sources.has(path)) return value ?? undefined
    let parsed: unknown
    try {
      parsed = yaml().parse(value) ?? undefined
    } catch {
      return this.fail(path, 'YAML (a list or mapping)', value)
    }
    // Kept in the document, so that the keys inside are found (and reported when unknown).
    this.replace(path, parsed)
    return parsed
  }

  private replace(path: string, value: unknown): void {
    const cut = path.lastIndexOf('.')
    const parent = cut === -1 ? this.document : this.lookup(path.slice(0, cut)).value
    const key = path.slice(cut + 1)
    if (Array.isArray(parent) && /^\d+$/.test(key)) parent[Number(key)] = value
    else if (isPlainObject(parent)) parent[key] = value
  }

  private lookup(path: string): { found: boolean; value: unknown } {
    let node: unknown = this.document
    for (const segment of path.split('.')) {
      if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)]
      else if (isPlainObject(node) && Object.hasOwn(node, segment)) node = node[segment]
      else return { found: false, value: undefined }
      if (node === undefined) return { found: false, value: undefined }
    }
    return { found: true, value: node }
  }
}

/** `notifications.endpoints.0.url` → `notifications.endpoints[0].url`. */
export function toDisplayPath(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')
}
