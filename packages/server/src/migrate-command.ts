import { migrateRegistry2 } from '@wharf/core'
import { loadConfig } from './config/load-config.js'
import { checkMigrationSource } from './migrate-preflight.js'
import { createMigrateProgress } from './migrate-progress.js'
import { createStorageFromConfig } from './storage-from-config.js'

/**
 * `wharf migrate [config.yml] [--dry-run]`: writes wharf's records for the registry:2 tree on the
 * configured storage (core's `migrateRegistry2`), showing progress on stderr when it is a terminal
 * and JSON lines on stdout otherwise, then a summary. Ctrl-C stops it at once; the next run resumes
 * after the last repository checkpointed. Before writing anything it checks that the storage can be
 * read and holds a registry:2 tree (`migrate-preflight.ts`). Resolves to the exit code: 0 when done,
 * 1 when the check or the migration failed (the message is the `error` line, or stderr on a terminal).
 */
export async function runMigrate(command: { configPath?: string; dryRun: boolean }): Promise<number> {
  const loaded = loadConfig(command.configPath === undefined ? {} : { path: command.configPath })
  const storage = await createStorageFromConfig(loaded.config.storage)
  const tty = process.stderr.isTTY === true
  const progress = createMigrateProgress(tty ? { tty: process.stderr } : { lines: process.stdout })
  const abort = new AbortController()
  const onSignal = () => abort.abort(new Error('interrupted; run `wharf migrate` again to resume'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await checkMigrationSource(storage, loaded.config.storage)
    const summary = await migrateRegistry2({ storage, dryRun: command.dryRun, onProgress: progress.update, signal: abort.signal })
    progress.finish(summary)
    return 0
  } catch (error) {
    progress.fail(error)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await storage.close?.()
  }
}
