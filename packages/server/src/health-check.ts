import type { StorageDriver } from '@wharf/core'
import type { Logger } from 'pino'
import type { ServerMetrics } from './metrics.js'

/** The key the probe writes and reads (outside every prefix the registry uses). */
export const HEALTH_PROBE_KEY = 'health/probe'

/** Options of {@link createStorageHealthCheck}. */
export interface StorageHealthCheckOptions {
  driver: StorageDriver
  /** Check name, as registry:2 names it: `storagedriver_<driver type>`. */
  name: string
  enabled: boolean
  intervalMs: number
  /** Consecutive failures before the check reports unhealthy. */
  threshold: number
  /** Probe with a write (put, then stat) rather than a stat alone. False in read-only mode. */
  writable: boolean
  logger: Logger
  metrics: ServerMetrics
}

/** The storage's health, as `/debug/health` reports it. */
export interface HealthCheck {
  /** False once the probe failed `threshold` times in a row; true again after one success. */
  readonly healthy: boolean
  /** Failing checks and why (empty while healthy), the body of `/debug/health`. */
  status(): Record<string, string>
  /** Runs one probe now (also what the timer runs). Never rejects. */
  check(): Promise<void>
  /**
   * Stops the periodic probe. Resolves once a probe in flight has settled, its storage write
   * included, so that the storage can be released (or its directory removed) after it.
   */
  stop(): Promise<void>
}

/**
 * Probes the storage every `intervalMs`, off the request path: a small write and a stat of
 * {@link HEALTH_PROBE_KEY} (a stat only when not writable), each bounded by the interval, but never
 * by less than 1 s nor more than 10 s: a short interval must not turn a busy but working disk (one
 * fsync can take tens of milliseconds on a loaded machine) into a failing one.
 * A full disk, a directory turned read-only or a store that stopped answering all fail it. The
 * first probe runs at once; probes never overlap. Disabled: always healthy.
 */
export function createStorageHealthCheck(options: StorageHealthCheckOptions): HealthCheck {
  const { driver, name, logger, metrics } = options
  let failures = 0
  let lastError = ''
  let timer: NodeJS.Timeout | undefined
  let stopped = !options.enabled
  /** The storage work of the probe in flight, settled either way (never rejects). */
  let inFlight: Promise<void> = Promise.resolve()
  const timeoutMs = Math.min(Math.max(options.intervalMs, 1000), 10_000)
  metrics.storageHealthy.set({ check: name }, 1)

  async function probe(): Promise<void> {
    const controller = new AbortController()
    let timeout: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        controller.abort()
        reject(new Error(`storage did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
    })
    const work = (async () => {
      if (options.writable) await driver.put(HEALTH_PROBE_KEY, new TextEncoder().encode(new Date().toISOString()), { signal: controller.signal })
      await driver.stat(HEALTH_PROBE_KEY, { signal: controller.signal })
    })()
    // Settled by the race below; a late rejection must not go unhandled, and `stop` waits for it.
    inFlight = work.catch(() => undefined)
    try {
      await Promise.race([work, expired])
    } finally {
      clearTimeout(timeout)
    }
  }

  const check = async (): Promise<void> => {
    try {
      await probe()
      if (failures >= options.threshold) logger.info({ check: name }, 'storage health check recovered')
      failures = 0
      metrics.storageHealthy.set({ check: name }, 1)
    } catch (error) {
      failures++
      lastError = error instanceof Error ? error.message : String(error)
      const level = failures === options.threshold ? 'error' : 'warn'
      // One line, no stack: an unreachable store is an expected condition, and the message says which.
      if (failures <= options.threshold) logger[level]({ check: name, failures, threshold: options.threshold, error: lastError, ...toErrorCodeField(error) }, 'storage health check failed')
      if (failures >= options.threshold) metrics.storageHealthy.set({ check: name }, 0)
    }
  }

  const schedule = (delay: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      void check().then(() => schedule(options.intervalMs))
    }, delay)
    timer.unref()
  }
  schedule(0)

  return {
    get healthy() {
      return !options.enabled || failures < options.threshold
    },
    status() {
      if (!options.enabled || failures < options.threshold) return {}
      // The detail is kept for the log; clients only learn that storage is failing.
      logger.debug({ check: name, error: lastError }, 'health reported failing')
      return { [name]: 'storage is unreachable or not writable' }
    },
    check,
    stop() {
      stopped = true
      clearTimeout(timer)
      return inFlight
    },
  }
}

function toErrorCodeField(error: unknown): { code?: string } {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? { code } : {}
}
