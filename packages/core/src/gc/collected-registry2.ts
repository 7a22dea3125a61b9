import type { StorageDriver } from '../driver/storage-driver.js'
import { keys } from '../layout/key-layout.js'
import type { Registry2MigrationRecord, Registry2Source, Registry2Status } from '../registry2/registry2-source.js'
import { readJson } from '../stores/json-objects.js'
import type { GcRegistry2 } from './gc-types.js'

/**
 * registry:2's tree for the collector, when it is to be collected too: `migrate` finished on this
 * storage (every blob has a wharf record, every tag and revision a wharf object) and no read falls
 * back to it; on a driver whose registry:2 files cannot be stat'ed and removed, it is left alone.
 */
export async function toCollectedRegistry2(storage: StorageDriver, status: Registry2Status, source: Registry2Source): Promise<GcRegistry2 | undefined> {
  const { files, reader } = source
  if (status.fallback || !status.detected || !files.modified || !files.remove) return undefined
  // Read again, not from the status decided at start: a `migrate` run again since is `running`.
  const migration = await readJson<Registry2MigrationRecord>(storage, keys.registry2Migration())
  return migration?.value.state === 'done' ? { files: files as GcRegistry2['files'], reader } : undefined
}

