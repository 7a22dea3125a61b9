import type { Registry } from '@wharf/core'
import type { Logger } from 'pino'
import type { ServerMetrics } from './metrics.js'

/** Options of {@link createUploadPurger}. */
export interface UploadPurgerOptions {
  registry: Registry
  /** Sessions idle for longer than this are removed. */
  ageMs: number
  intervalMs: number
  /** Only log what would be removed. */
  dryRun: boolean
  logger: Logger
  metrics: ServerMetrics
  /** Delay before the first purge. Default: a random delay up to the interval, at most one minute. */
  firstDelayMs?: number
}

/** Periodic upload purging. */
export interface UploadPurger {
  /** Purges once now; resolves to the ids removed (or that would be). Never rejects. */
  purge(): Promise<string[]>
  /** Stops the timer. A purge in progress goes on to its end (it is safe to cut: every step is atomic). */
  stop(): void
}

/**
 * registry:2's `storage.maintenance.uploadpurging`: every `intervalMs`, removes upload sessions idle
 * for longer than `ageMs` (core's `purgeUploads`, which never takes a session a request is writing
 * to) and logs what went — or, with `dryRun`, what would have. The first purge comes after a random
 * delay, as in registry:2, so a fleet restarted together does not purge all at once. Purges never
 * overlap; the timer does not keep the process alive.
 */
export function createUploadPurger(options: UploadPurgerOptions): UploadPurger {
  const { registry, logger } = options
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let running: Promise<string[]> | undefined

  const purge = (): Promise<string[]> => {
    running ??= (async () => {
      try {
        const ids = await registry.purgeUploads({ olderThanMs: options.ageMs, dryRun: options.dryRun })
        if (!options.dryRun) options.metrics.uploadsPurged.inc(ids.length)
        const shown = { count: ids.length, uploads: ids.slice(0, 100), dryRun: options.dryRun, olderThanMs: options.ageMs }
        if (options.dryRun) logger.info(shown, `upload purge (dry run): ${ids.length} idle upload session(s) would be removed`)
        else logger.info(shown, `upload purge: removed ${ids.length} idle upload session(s)`)
        return ids
      } catch (error) {
        logger.warn({ err: error }, 'upload purge failed; trying again at the next interval')
        return []
      } finally {
        running = undefined
      }
    })()
    return running
  }

  const schedule = (delay: number) => {
    if (stopped) return
    timer = setTimeout(() => void purge().then(() => schedule(options.intervalMs)), delay)
    timer.unref()
  }
  schedule(options.firstDelayMs ?? Math.floor(Math.random() * Math.min(options.intervalMs, 60_000)))

  return {
    purge,
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
