import type { Registry } from '@wharf/core'
import type { Logger } from 'pino'

/**
 * Tells the operator, at start, what wharf found of registry:2 on its storage and what it will do
 * about it: the one place a silent empty catalog (registry:2 data, no wharf records) would otherwise
 * go unexplained. Failures to look are logged, not fatal: the registry looks again on first use.
 */
export async function logRegistry2Status(registry: Registry, logger: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  try {
    const status = await registry.registry2Status()
    const migration = status.migration && { state: status.migration.state, finishedAt: status.migration.finishedAt }
    const details = { registry2: { mode: status.mode, detected: status.detected, fallback: status.fallback, ...(migration ? { migration } : {}) } }
    if (status.fallback && status.detected) {
      logger.warn(details, 'registry:2 data found on this storage: serving it in place (read-only fallback; new pushes use wharf\'s layout). Run `wharf migrate` to write wharf\'s records for it; nothing is copied')
    } else if (status.detected && !status.fallback) {
      logger.info(details, status.mode === 'off' ? 'registry:2 data found; fallback reads are off (storage.registry2: off)' : 'registry:2 data found and migrated: served from wharf\'s records')
    } else if (status.mode === 'on') {
      logger.info(details, 'storage.registry2 is on but no registry:2 data was found yet')
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not look for registry:2 data on the storage; will look again on first use')
  }
}
