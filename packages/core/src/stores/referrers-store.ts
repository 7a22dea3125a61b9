import type { StorageDriver } from '../driver/storage-driver.js'
import type { Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { createOnce, readJson, toJsonBytes } from './json-objects.js'

/** An OCI descriptor as listed by the referrers API. */
export interface ReferrerDescriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
}

/**
 * The referrers index: when a manifest with a `subject` is pushed, its descriptor is written under
 * the subject's digest, so the referrers API is one prefix listing (plus one small read per referrer).
 * Entries are not removed when their manifest is deleted: `manifest-index.ts` lists only entries whose
 * revision is live (a late removal could otherwise undo a racing re-push).
 */
export interface ReferrersStore {
  add(repository: string, subject: Digest, referrer: Digest, descriptor: ReferrerDescriptor): Promise<void>
  /** Adds the entry only if there is none yet; whether it did (for idempotent migrations). */
  addOnce(repository: string, subject: Digest, referrer: Digest, descriptor: ReferrerDescriptor): Promise<boolean>
  list(repository: string, subject: Digest): Promise<ReferrerDescriptor[]>
}

export function createReferrersStore(driver: StorageDriver): ReferrersStore {
  return {
    async add(repository, subject, referrer, descriptor) {
      await driver.put(keys.referrer(repository, subject, referrer), toJsonBytes(descriptor))
    },
    addOnce(repository, subject, referrer, descriptor) {
      return createOnce(driver, keys.referrer(repository, subject, referrer), toJsonBytes(descriptor))
    },
    async list(repository, subject) {
      const prefix = keys.referrersPrefix(repository, subject)
      const found: ReferrerDescriptor[] = []
      let startAfter: string | undefined
      for (;;) {
        const page = await driver.list(prefix, { limit: 1000, ...(startAfter ? { startAfter } : {}) })
        const records = await Promise.all(page.keys.map((k) => readJson<ReferrerDescriptor>(driver, k)))
        for (const r of records) if (r) found.push(r.value)
        if (!page.truncated || page.keys.length === 0) return found
        startAfter = page.keys[page.keys.length - 1]
      }
    },
  }
}
