import type { GarbageCollectionReport, Registry } from '@wharf/core'
import type { Logger } from 'pino'
import type { GarbageCollectConfig } from './config/parse-maintenance.js'
import { describeReport } from './gc-progress.js'
import type { ServerMetrics } from './metrics.js'

/** Options of {@link createGarbageCollector}. */
export interface GarbageCollectorOptions {
  registry: Registry
  config: Omit<GarbageCollectConfig, 'enabled'>
  logger: Logger
  metrics: ServerMetrics
  /** Delay before the first collection. Default: a random delay up to the interval, at most one minute. */
  firstDelayMs?: number
}

/** Periodic garbage collection. */
export interface GarbageCollector {
  /** Collects once now (or joins the collection running); resolves to its report, undefined if it failed. Never rejects. */
  collect(): Promise<GarbageCollectionReport | undefined>
  /**
   * Stops the timer and aborts a collection in progress (safe: every step of it is atomic);
   * resolves once that collection has let go of the storage.
   */
  stop(): Promise<void>
}

/**
 * `storage.maintenance.garbagecollect`: every `interval`, core's online collection (which also
 * emits the registry's `gc` event), shaped like the upload purger: a random first delay so that a
 * fleet restarted together does not collect at once, no overlapping runs, a timer that does not
 * keep the process alive. Each run ends in one log line (the report under `gc`) and the `wharf_gc_*`
 * metrics; a failed run is logged and retried at the next interval. Other instances on the same
 * storage may run their own schedule: concurrent collections are safe (each removal is a
 * compare-and-swap), they only repeat work.
 */
export function createGarbageCollector(options: GarbageCollectorOptions): GarbageCollector {
  const { registry, logger, metrics, config } = options
  const abort = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<GarbageCollectionReport | undefined> | undefined

  const record = (report: GarbageCollectionReport) => {
    metrics.gcRuns.inc({ result: 'success' })
    metrics.gcDuration.observe(report.durationMs / 1000)
    metrics.gcLastRun.set(Date.now() / 1000)
    if (report.dryRun) return
    metrics.gcReclaimedBytes.inc(report.bytesReclaimed)
    const kinds = { manifest: report.manifestsDeleted, link: report.linksDeleted, blob: report.blobsDeleted, data: report.dataObjectsDeleted, upload: report.uploadsPurged, repository: report.repositoriesRemoved ?? 0, registry2: report.registry2FilesDeleted ?? 0 }
    for (const [kind, count] of Object.entries(kinds)) metrics.gcDeletedObjects.inc({ kind }, count)
  }

  const collect = (): Promise<GarbageCollectionReport | undefined> => {
    running ??= (async () => {
      try {
        const report = await registry.collectGarbage({ graceMs: config.grace, deleteUntagged: config.deleteuntagged, dryRun: config.dryrun, signal: abort.signal, retention: true })
        record(report)
        logger.info({ gc: report, graceMs: config.grace, deleteUntagged: config.deleteuntagged }, `garbage collection${report.dryRun ? ' (dry run)' : ''}: ${describeReport(report)}`)
        return report
      } catch (error) {
        if (abort.signal.aborted) return undefined
        metrics.gcRuns.inc({ result: 'failure' })
        logger.warn({ err: error }, 'garbage collection failed; trying again at the next interval')
        return undefined
      } finally {
        running = undefined
      }
    })()
    return running
  }

  const schedule = (delay: number) => {
    if (abort.signal.aborted) return
    timer = setTimeout(() => void collect().then(() => schedule(config.interval)), delay)
    timer.unref()
  }
  schedule(options.firstDelayMs ?? Math.floor(Math.random() * Math.min(config.interval, 60_000)))

  return {
    collect,
    async stop() {
      abort.abort(new Error('the server is stopping'))
      clearTimeout(timer)
      await running
    },
  }
}
