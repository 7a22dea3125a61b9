/**
 * @wharf/server: the standalone registry (`wharf serve config.yml`), a drop-in for registry:2.
 * - `loadConfig` / `parseConfig`: registry:2's `config.yml` and `REGISTRY_…` variables → a checked `WharfConfig`.
 * - `toServerOptions`: the configuration's live objects (storage driver, auth hooks, TLS material).
 * - `startServer`: runs it (health, metrics, logs, notifications, purging, graceful shutdown).
 */
export { startServer, type RunningServer } from './start-server.js'
export { toServerOptions, type ServerOptions, type TlsOptions } from './server-options.js'
export { loadConfig, parseConfig, type LoadedConfig, type LoadConfigOptions, type ParseConfigOptions } from './config/load-config.js'
export { toConfigDocument, readConfigFile, applyEnvironment, type ConfigDocument } from './config/config-document.js'
export { ConfigError, isConfigError } from './config/config-error.js'
export { toDurationMs } from './config/duration.js'
export { toListenAddress, type ListenAddress } from './config/listen-address.js'
export { createStorageFromConfig, toS3Options, toAzureOptions } from './storage-from-config.js'
export type * from './config/config-types.js'
export { createLogger } from './logging/create-logger.js'
export { toLogfmt } from './logging/logfmt.js'
export { createServerMetrics, type ServerMetrics, type ServerMetricsOptions, type RouteKind } from './metrics.js'
export { HEALTH_PROBE_KEY, type HealthCheck } from './health-check.js'
export { ENVELOPE_MEDIA_TYPE, type EnvelopeEvent } from './notifications/envelope.js'
