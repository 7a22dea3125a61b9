/**
 * A configuration that cannot be used. The message names the key (and the environment variable it
 * came from, when it did) and the form that was expected, so an operator can fix it without reading
 * the source. The CLI prints it and exits with code 2.
 */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** True when `error` is a {@link ConfigError}. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError
}
