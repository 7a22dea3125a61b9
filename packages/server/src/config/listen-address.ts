import { ConfigError } from './config-error.js'

/** Where a listener binds. */
export interface ListenAddress {
  host: string
  port: number
}

/**
 * Parses registry:2's `host:port` (IPv6 in brackets, e.g. `[::1]:5000`). A bare `:port` listens on
 * every interface, as in registry:2. Throws a ConfigError naming `key` otherwise.
 */
export function toListenAddress(value: string, key: string): ListenAddress {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]*):(\d{1,5})$/.exec(value.trim())
  const port = match ? Number(match[2]) : NaN
  if (!match || port > 65535) throw new ConfigError(`${key}: expected host:port (e.g. 127.0.0.1:5000 or :5000), got ${JSON.stringify(value)}`)
  const host = match[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0'
  return { host, port }
}
