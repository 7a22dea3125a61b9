/** Brand shared by every copy of `@wharf/server` in a process (see core's RegistryError for why). */
const CONFIG_ERROR = Symbol.for('wharf.ConfigError')

/**
 * A configuration that cannot be used. The message names the key (and the environment variable it
 * came from, when it did) and the form that was expected, so an operator can fix it without reading
 * the source. The CLI prints it and exits with code 2.
 */
export class ConfigError extends Error {
  override name = 'ConfigError'

  /** `instanceof ConfigError` holds for a ConfigError of any copy or version of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONFIG_ERROR] === true
  }
}
Object.defineProperty(ConfigError.prototype, CONFIG_ERROR, { value: true })

/** True when `error` is a {@link ConfigError} (of any copy of `@wharf/server`). */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError
}
