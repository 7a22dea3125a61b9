/**
 * The settings the default server reads from the environment, with registry:2's variable names so
 * `docker run -e REGISTRY_…` habits carry over.
 */
export interface ServerSettings {
  host: string
  port: number
  /** Directory of the filesystem storage. */
  root: string
  logLevel: string
}

/** Thrown for a setting that cannot be used; the message names the variable and the expected form. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** Parses `host:port` (IPv6 in brackets); a bare `:port` listens on all interfaces, as registry:2. */
export function toListenAddress(value: string, variable: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  const port = match ? Number(match[2]) : NaN
  if (!match || port > 65535) throw new SettingError(`${variable} must be host:port (e.g. 127.0.0.1:5000), got ${JSON.stringify(value)}`)
  const host = match[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0'
  return { host, port }
}

/** Reads the server's settings from `env`. */
export function toServerSettings(env: NodeJS.ProcessEnv, cwd: string): ServerSettings {
  const { host, port } = toListenAddress(env['REGISTRY_HTTP_ADDR'] ?? '127.0.0.1:5000', 'REGISTRY_HTTP_ADDR')
  const root = env['REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY'] ?? `${cwd}/data`
  return { host, port, root, logLevel: env['REGISTRY_LOG_LEVEL'] ?? 'info' }
}
