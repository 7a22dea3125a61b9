import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createRequire } from 'node:module'
import type * as Tls from 'node:tls'
import { createMirror, type AuthHooks, type Mirror, type StorageDriver } from '@wharf/core'
import type { TokenKeys } from '@wharf/auth'
import type { DestinationStream, Logger } from 'pino'
import type { Registry as MetricsRegistry } from 'prom-client'
import { ConfigError } from './config/config-error.js'
import type { AuthConfig, TlsConfig, WharfConfig } from './config/config-types.js'
import { createHtpasswdFromConfig, type HtpasswdReporting } from './htpasswd-from-config.js'
import { createLogger } from './logging/create-logger.js'
import { createStorageFromConfig } from './storage-from-config.js'
import { toMirrorOptions } from './config/parse-proxy.js'

/** TLS material read from the configured files. */
export interface TlsOptions {
  cert: Buffer
  key: Buffer
  /** Client CAs: when present, clients must present a certificate they signed (mutual TLS). */
  ca?: Buffer[]
  minVersion: 'TLSv1.2' | 'TLSv1.3'
}

/**
 * Everything `startServer` runs: the checked configuration plus the live objects built from it. Build
 * it with {@link toServerOptions}, or by hand to bring your own driver, auth hooks or log destination.
 */
export interface ServerOptions {
  config: WharfConfig
  storage: StorageDriver
  /** Default: everyone may do everything. */
  auth?: AuthHooks
  /** A pull-through cache (from `proxy`); default none. */
  mirror?: Mirror
  tls?: TlsOptions
  /** Remarks to log once at start (e.g. ignored configuration keys). */
  warnings?: string[]
  /** A logger to use instead of one built from `config.log`. */
  logger?: Logger
  /** Where the logger built from `config.log` writes; default stdout. */
  logDestination?: DestinationStream
  /**
   * The environment whose `OTEL_*` variables configure the OpenTelemetry trace SDK
   * (tracing-sdk.ts; the `wharf` command passes `process.env`). Default none: no SDK is started, and
   * spans go wherever the host process registered its own SDK, if it did.
   */
  tracingEnv?: Readonly<Record<string, string | undefined>>
  /**
   * The prom-client registry to put the server's metrics on (an application embedding the server
   * that serves its own `/metrics`); default one of the server's own, served on `http.debug.addr`.
   */
  metricsRegistry?: MetricsRegistry
  /**
   * Keep no metrics when nothing can read them: no `http.debug.prometheus.enabled`, no
   * `metricsRegistry` and no mirror (whose observer also logs). `RunningServer.metrics` then records
   * nothing, and prom-client is not loaded. Default false: an embedding application or a test may
   * read `RunningServer.metrics` directly. The `wharf` command sets it.
   */
  metricsOnlyWhenServed?: boolean
}

/**
 * Builds the live objects a configuration describes: the storage driver, the auth hooks (htpasswd
 * or token), the TLS material. Reads the files the configuration names now, so a missing certificate
 * or htpasswd file stops the start with a ConfigError naming its key. Lines of the htpasswd file
 * whose users cannot log in are added to `warnings` (logged at start); found later, after the file
 * changes, they are logged through `extra.logger`, or a logger built like the server's from
 * `config.log` and `extra.logDestination`. Makes no network call.
 * Async because the S3 and Azure drivers and the auth module are loaded on demand.
 */
export async function toServerOptions(config: WharfConfig, extra: Pick<ServerOptions, 'warnings' | 'logger' | 'logDestination'> = {}): Promise<ServerOptions> {
  const options: ServerOptions = { config, storage: await createStorageFromConfig(config.storage), ...extra }
  if (config.auth) {
    const warnings = [...(extra.warnings ?? [])]
    // The server's own logger does not exist yet; what the htpasswd file shows after the start
    // (a changed file with a bad line) goes to an equivalent one, made only if it is ever needed.
    let later: Logger | undefined
    const logger = () => (later ??= extra.logger ?? createLogger(config.log, extra.logDestination))
    options.auth = await toAuthHooks(config.auth, { warnings, logger })
    if (warnings.length > 0) options.warnings = warnings
  }
  if (config.http.tls) options.tls = toTlsOptions(config.http.tls)
  if (config.proxy) options.mirror = createMirror(toMirrorOptions(config.proxy))
  return options
}

/** Loaded only when auth is configured (bcrypt's native module and jose need not be in every heap). */
async function toAuthHooks(auth: AuthConfig, reporting: HtpasswdReporting): Promise<AuthHooks> {
  if ('htpasswd' in auth) return createHtpasswdFromConfig(auth.htpasswd, reporting)
  const { createTokenAuth } = await import('@wharf/auth')
  const keys: TokenKeys = {}
  if (auth.token.rootcertbundle) keys.certificates = resolve(auth.token.rootcertbundle)
  if (auth.token.jwks) keys.jwks = /^https?:\/\//i.test(auth.token.jwks) ? new URL(auth.token.jwks) : resolve(auth.token.jwks)
  try {
    return createTokenAuth({ realm: auth.token.realm, service: auth.token.service, issuer: auth.token.issuer, keys })
  } catch (error) {
    const key = auth.token.rootcertbundle && !auth.token.jwks ? 'auth.token.rootcertbundle' : auth.token.jwks && !auth.token.rootcertbundle ? 'auth.token.jwks' : 'auth.token'
    throw new ConfigError(`${key}: ${toMessage(error)}`)
  }
}

// node:tls is required only when `http.tls` is configured (see listen.ts).
const require = createRequire(import.meta.url)

function toTlsOptions(tls: TlsConfig): TlsOptions {
  const { createSecureContext } = require('node:tls') as typeof Tls
  const read = (path: string, key: string) => {
    try {
      return readFileSync(resolve(path))
    } catch (error) {
      throw new ConfigError(`${key}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? toMessage(error)}`)
    }
  }
  const options: TlsOptions = {
    cert: read(tls.certificate, 'http.tls.certificate'),
    key: read(tls.key, 'http.tls.key'),
    minVersion: tls.minimumtls === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2',
  }
  if (tls.clientcas.length > 0) options.ca = tls.clientcas.map((path, i) => read(path, `http.tls.clientcas[${i}]`))
  try {
    // Catches a malformed PEM or a key that does not match the certificate now, not at listen time.
    createSecureContext({ cert: options.cert, key: options.key, ...(options.ca ? { ca: options.ca } : {}) })
  } catch (error) {
    throw new ConfigError(`http.tls: the certificate, key or client CAs cannot be used: ${toMessage(error)}`)
  }
  return options
}

function toMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
