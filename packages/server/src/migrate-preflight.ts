import { createRegistry, type Registry2Status, type StorageDriver } from '@wharf/core'
import type { StorageConfig } from './config/config-types.js'

/** Why `wharf migrate` will not start: a one-line message for the operator (exit code 1). */
export class MigratePreflightError extends Error {
  override readonly name = 'MigratePreflightError'
}

/** Where the configured storage points, for messages: driver and root, never credentials. */
export function describeStorage(storage: StorageConfig): string {
  if ('filesystem' in storage) return `filesystem rootdirectory ${storage.filesystem.rootdirectory}`
  const under = (root: string | undefined) => (root && root.replace(/^\/+|\/+$/g, '') !== '' ? ` under ${root}` : '')
  if ('s3' in storage) return `s3 bucket ${storage.s3.bucket}${under(storage.s3.rootdirectory)}${storage.s3.regionendpoint ? ` at ${storage.s3.regionendpoint}` : ''}`
  if ('azure' in storage) return `azure container ${storage.azure.container}${under(storage.azure.rootdirectory)} of account ${storage.azure.accountname}`
  return 'inmemory storage'
}

/**
 * The start-up check of `wharf migrate`: reads the storage once (the registry:2 tree's top
 * directories and wharf's migration record) before anything is written. Rejects with a
 * {@link MigratePreflightError} when the storage cannot be read (wrong endpoint or credentials,
 * missing bucket) or holds no registry:2 tree (a wrong `rootdirectory` would otherwise "migrate"
 * nothing and leave a record saying it had).
 */
export async function checkMigrationSource(driver: StorageDriver, storage: StorageConfig): Promise<Registry2Status> {
  const where = describeStorage(storage)
  let status: Registry2Status
  try {
    // The registry is only a way to ask; it is dropped without closing the caller's driver.
    status = await createRegistry({ storage: driver }).registry2Status()
  } catch (error) {
    throw new MigratePreflightError(`cannot read the storage (${where}): ${describeError(error)}`)
  }
  if (!status.detected) {
    throw new MigratePreflightError(`no registry:2 data found on ${where}: expected docker/registry/v2/repositories or docker/registry/v2/blobs there; check the storage section of the configuration`)
  }
  return status
}

/** The error's message and the first system error code along its causes (`ECONNREFUSED`…), which SDK messages often leave out. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const seen = new Set<unknown>()
  const queue: unknown[] = [error]
  while (queue.length > 0) {
    const next = queue.shift()
    if (typeof next !== 'object' || next === null || seen.has(next)) continue
    seen.add(next)
    const code = (next as { code?: unknown }).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return message.includes(code) ? message : `${message} (${code})`
    queue.push((next as { cause?: unknown }).cause, ...((next as { errors?: unknown[] }).errors ?? []))
  }
  return message
}
