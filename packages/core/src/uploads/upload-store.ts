import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import { keys } from '../layout/key-layout.js'
import { readJson, toJsonBytes, type Versioned } from '../stores/json-objects.js'
import type { UploadRecord } from './upload-state.js'

/** Upload session records in storage, changed only by compare-and-swap. */
export interface UploadStore {
  create(record: UploadRecord): Promise<Versioned<UploadRecord>>
  load(id: string): Promise<Versioned<UploadRecord> | undefined>
  /** Compare-and-swap; `undefined` when someone else changed or removed the record first. */
  save(record: UploadRecord, etag: string): Promise<Versioned<UploadRecord> | undefined>
  remove(id: string): Promise<void>
  /** Every session id, page by page. */
  ids(): AsyncIterable<string>
}

export function createUploadStore(driver: StorageDriver): UploadStore {
  return {
    async create(record) {
      const { etag } = await driver.put(keys.upload(record.id), toJsonBytes(record), { ifNoneMatch: '*' })
      return { value: record, etag }
    },
    load: (id) => readJson<UploadRecord>(driver, keys.upload(id)),
    async save(record, etag) {
      try {
        const result = await driver.put(keys.upload(record.id), toJsonBytes(record), { ifMatch: etag })
        return { value: record, etag: result.etag }
      } catch (error) {
        if (isDriverError(error, 'precondition-failed')) return undefined
        throw error
      }
    },
    remove: (id) => driver.delete(keys.upload(id)),
    async *ids() {
      const prefix = keys.uploadsPrefix()
      let startAfter: string | undefined
      for (;;) {
        const page = await driver.list(prefix, { limit: 1000, ...(startAfter ? { startAfter } : {}) })
        for (const key of page.keys) yield key.slice(prefix.length)
        if (!page.truncated || page.keys.length === 0) return
        startAfter = page.keys[page.keys.length - 1]
      }
    },
  }
}
