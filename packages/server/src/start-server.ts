import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { hostname } from 'node:os'
import { createRegistry, type Registry } from '@wharf/core'
import type { Logger } from 'pino'
import { toListenAddress } from './config/listen-address.js'
import { toStorageDriverType } from './config/parse-storage.js'
import { toSparseManifests } from './config/parse-validation.js'
import { createDebugListener } from './debug-server.js'
import { drainServer } from './graceful-shutdown.js'
import { createStorageHealthCheck, type HealthCheck } from './health-check.js'
import { createListeningServer, listen } from './listen.js'
import { createLogger } from './logging/create-logger.js'
import type { ServerMetrics } from './metrics.js'
import { createUnservedMetrics } from './unserved-metrics.js'
import { createNotifier, type Notifier } from './notifications/notifier.js'
import { createRequestListener } from './request-listener.js'
import type { ServerOptions } from './server-options.js'
import { withStorageMetrics } from './storage-metrics.js'
import { logRegistry2Status } from './registry2-notice.js'
import { createUploadPurger } from './upload-purger.js'
import { createUiMount } from './ui-mount.js'
import { createGarbageCollector } from './garbage-collector.js'
import { logRequestError, recordEvent, toStorageLocation, withIdentityRecording } from './request-observers.js'
import { createTrustedProxies } from './trusted-proxies.js'
import { readVersion } from './version.js'
import { startTracingSdk } from './tracing-sdk.js'

/** A running standalone server. */
export interface RunningServer {
  /** `http(s)://host:port` of the main listener (the real port when 0 was configured). */
  url: string
  /** `http://host:port` of the debug listener, when `http.debug.addr` is set. */
  debugUrl?: string
  server: Server
  registry: Registry
  logger: Logger
  metrics: ServerMetrics
  health: HealthCheck
  /**
   * Stops gracefully (see `drainServer`): stops accepting, lets requests in flight finish for at
   * most `drainTimeoutMs` (default `http.draintimeout`), cuts the rest, gives queued notifications
   * what is left of that time (at most 5 s), stops the timers and releases the storage. Every timer
   * and connection is gone when it resolves, so the process can exit. Calling it again returns the
   * same promise.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>
}

/**
 * Starts the standalone registry: the /v2 API on `http.addr` (HTTPS with `http.tls`), health at
 * `/debug/health` and `/healthz`, the debug listener with Prometheus metrics, periodic storage
 * health checks, upload purging and garbage collection, webhook notifications, and one log line per request.
 * Rejects (after releasing what it started) when a listener cannot be opened.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options
  const logger = options.logger ?? createLogger(config.log, options.logDestination)
  for (const warning of options.warnings ?? []) logger.warn(warning)
  // Before the registry exists, so that its first request is traced.
  const tracing = options.tracingEnv ? await startTracingSdk(options.tracingEnv, logger) : undefined
  const prometheus = config.http.debug?.prometheus
  // prom-client (metrics.ts, mirror-metrics.ts) is imported only when metrics are kept.
  const served = prometheus?.enabled === true || options.metricsRegistry !== undefined
  const metrics = options.metricsOnlyWhenServed && !served && !options.mirror
    ? createUnservedMetrics()
    : (await import('./metrics.js')).createServerMetrics({
        processMetrics: prometheus?.enabled ?? false,
        registry2Names: prometheus?.registry2names ?? false,
        ...(options.metricsRegistry ? { registry: options.metricsRegistry } : {}),
      })
  const storage = withStorageMetrics(options.storage, metrics)
  const readOnly = config.storage.maintenance.readonly.enabled
  const registry = createRegistry({
    storage,
    ...(options.auth ? { auth: withIdentityRecording(options.auth, () => requests.currentRequest()) } : {}),
    deleteEnabled: config.storage.delete.enabled,
    readOnly,
    redirect: !config.storage.redirect.disable && storage.capabilities.redirect,
    sparseManifests: toSparseManifests(config.validation),
    quotas: config.policies.quotas,
    immutableTags: config.policies.immutabletags,
    retention: config.policies.retention,
    pullFlushIntervalMs: config.policies.pullflushinterval,
    registry2: { mode: config.storage.registry2 },
    ...(options.mirror ? { mirror: options.mirror } : {}),
    onError: (err, request) => logRequestError(logger, err, request, requests.currentRequest()),
  })
  if (options.mirror) (await import('./mirror-metrics.js')).observeMirror(options.mirror, metrics.registry, logger)
  const driverType = toStorageDriverType(config.storage)
  const healthConfig = config.health.storagedriver
  const health = createStorageHealthCheck({
    driver: storage,
    name: `storagedriver_${driverType}`,
    enabled: healthConfig.enabled,
    intervalMs: healthConfig.interval,
    threshold: healthConfig.threshold,
    writable: !readOnly,
    logger,
    metrics,
  })
  const endpoints = config.notifications.endpoints.filter((endpoint) => !endpoint.disabled)
  // Access lines are written at `info`: below that level (log.level warn, as many deployments run)
  // they would be dropped, yet their request context (AsyncLocalStorage, a hook on every promise)
  // would still cost every request a third of its throughput (measured, issue 16).
  const accessLog = !config.log.accesslog.disabled && logger.isLevelEnabled('info')
  const ui = createUiMount({ registry, config, ...(options.auth ? { auth: options.auth } : {}), logger })
  const requests = createRequestListener({
    registry,
    logger,
    accessLog,
    metrics,
    health,
    headers: config.http.headers,
    trackEventRequests: endpoints.length > 0,
    ...(config.http.trustedproxies ? { trustedProxies: createTrustedProxies(config.http.trustedproxies) } : {}),
    bodyIdleTimeoutMs: config.http.bodyidletimeout,
    ...(ui ? { ui } : {}),
  })
  const purging = config.storage.maintenance.uploadpurging
  // As registry:2: no purging in read-only mode (it would write).
  const purger = purging.enabled && !readOnly
    ? createUploadPurger({ registry, ageMs: purging.age, intervalMs: purging.interval, dryRun: purging.dryrun, logger, metrics })
    : undefined
  const { enabled: gcEnabled, ...gcConfig } = config.storage.maintenance.garbagecollect
  const collector = gcEnabled && !readOnly ? createGarbageCollector({ registry, config: gcConfig, logger, metrics }) : undefined

  const server = createListeningServer(requests.listener, options.tls, {
    maxHeaderBytes: config.http.maxheaderbytes,
    headersTimeoutMs: config.http.headerstimeout,
  })
  server.on('tlsClientError', (err) => logger.debug({ err }, 'TLS handshake failed'))
  const debug = config.http.debug
  const debugServer = debug
    ? createListeningServer(createDebugListener({ health, metricsPath: debug.prometheus.path, ...(debug.prometheus.enabled ? { metrics: metrics.registry } : {}) }))
    : undefined
  let url: string
  let debugUrl: string | undefined
  try {
    url = await listen(server, toListenAddress(config.http.addr, 'http.addr'), options.tls ? 'https' : 'http')
    if (debug && debugServer) debugUrl = await listen(debugServer, toListenAddress(debug.addr, 'http.debug.addr'), 'http')
  } catch (error) {
    const probed = health.stop()
    purger?.stop()
    await collector?.stop()
    server.close()
    debugServer?.close()
    ui?.close()
    await probed
    await registry.close()
    await tracing?.shutdown()
    throw error
  }

  if (accessLog) registry.events.on('*', (event) => recordEvent(event, requests.currentRequest()))
  let notifier: Notifier | undefined
  if (endpoints.length > 0) {
    const source = { addr: `${hostname()}:${new URL(url).port}`, instanceID: randomUUID() }
    const active = createNotifier({ endpoints, source, ...(config.http.host ? { baseUrl: config.http.host } : {}), logger, metrics })
    registry.events.on('*', (event) => {
      const request = requests.currentRequest()
      active.notify(event, request && { id: request.id, addr: request.remoteAddr, host: request.host, scheme: request.scheme })
    })
    notifier = active
  }

  logger.info(
    {
      version: readVersion(),
      url,
      ...(ui ? { uiUrl: `${url}/ui/` } : {}),
      ...(debugUrl ? { debugUrl } : {}),
      ...(debugUrl && debug?.prometheus.enabled ? { metricsUrl: `${debugUrl}${debug.prometheus.path}` } : {}),
      storage: driverType,
      ...toStorageLocation(config.storage),
      auth: config.auth ? Object.keys(config.auth)[0] : 'none',
      deleteEnabled: config.storage.delete.enabled,
      readOnly,
      notificationEndpoints: endpoints.map((endpoint) => endpoint.name),
      ...(tracing ? { tracing: tracing.exporters } : {}),
    },
    'wharf registry listening',
  )
  await logRegistry2Status(registry, logger)

  let closing: Promise<void> | undefined
  const close = (drainTimeoutMs: number) => {
    closing ??= (async () => {
      const started = Date.now()
      const probed = health.stop()
      purger?.stop()
      const collected = collector?.stop()
      const cut = await drainServer(server, requests, drainTimeoutMs, logger)
      if (debugServer) {
        debugServer.close()
        debugServer.closeAllConnections()
      }
      await notifier?.close(Math.min(5000, Math.max(0, drainTimeoutMs - (Date.now() - started))))
      await collected
      ui?.close()
      // A storage probe still writing would leave its file behind a released storage.
      await probed
      await registry.close()
      // The last requests' spans leave before the process does.
      await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown failed'))
      logger.info({ cutRequests: cut, ms: Date.now() - started }, 'wharf registry stopped')
    })()
    return closing
  }

  return {
    url,
    ...(debugUrl ? { debugUrl } : {}),
    server,
    registry,
    logger,
    metrics,
    health,
    close: (closeOptions = {}) => close(closeOptions.drainTimeoutMs ?? config.http.draintimeout),
  }
}
