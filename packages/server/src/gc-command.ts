import { createRegistry } from '@wharf/core'
import { isConfigError } from './config/config-error.js'
import { loadConfig } from './config/load-config.js'
import type { GarbageCollectCommand } from './gc-args.js'
import { createGcProgress } from './gc-progress.js'
import { createStorageFromConfig } from './storage-from-config.js'

/**
 * `wharf garbage-collect [config.yml] [-d] [-m] [--grace DURATION]`: core's online collection
 * (`registry.collectGarbage`) on the configured storage, safe while servers use it, after the
 * configuration's `policies.retention` rules (sparing `policies.immutabletags`), as the schedule. Progress goes
 * to stderr as one redrawn line when it is a terminal, else as JSON lines on stdout, then a summary
 * (objects and bytes reclaimed, time). Ctrl-C stops it between two atomic steps; the next run
 * picks up what is left. Resolves to the exit code, as distribution's `registry garbage-collect`:
 * 0 when done, 1 when the configuration, the storage or the collection failed.
 */
export async function runGarbageCollect(command: Omit<GarbageCollectCommand, 'kind'>): Promise<number> {
  const tty = process.stderr.isTTY === true
  const progress = createGcProgress(tty ? { tty: process.stderr } : { lines: process.stdout })
  const abort = new AbortController()
  // The first signal stops the collection at its next step; a second one exits at once (a step
  // waiting on a hung storage call would otherwise keep it running).
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(1)
    abort.abort(new Error('interrupted; nothing is left half done, run garbage-collect again to finish'))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let close: (() => Promise<void>) | undefined
  try {
    const loaded = loadConfig(command.configPath === undefined ? {} : { path: command.configPath })
    const storage = await createStorageFromConfig(loaded.config.storage)
    // The registry is used only for its collector (it never answers a request): no auth; the
    // retention rules and the immutable tags they must spare, applied first as the schedule does.
    const { retention, immutabletags } = loaded.config.policies
    const registry = createRegistry({ storage, registry2: { mode: loaded.config.storage.registry2 }, retention, immutableTags: immutabletags })
    close = () => registry.close()
    const report = await registry.collectGarbage({
      dryRun: command.dryRun,
      deleteUntagged: command.deleteUntagged,
      retention: retention.length > 0,
      ...(command.graceMs === undefined ? {} : { graceMs: command.graceMs }),
      signal: abort.signal,
      onProgress: progress.update,
    })
    progress.finish(report)
    return 0
  } catch (caught) {
    const error = isConfigError(caught) ? new Error(`configuration error: ${caught.message}`) : caught
    progress.fail(error)
    // On a pipe the error is a JSON line on stdout; say it on stderr too, where cron mails it.
    if (!tty) process.stderr.write(`wharf: garbage collection failed: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await close?.()
  }
}
