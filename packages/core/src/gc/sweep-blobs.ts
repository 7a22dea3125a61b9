import { isDriverError } from '../driver/driver-error.js'
import { toDigest, type Digest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { isRegistry2Key } from '../registry2/registry2-layout.js'
import { toLocationTombstone, type BlobLocation } from '../stores/blob-store.js'
import { readJson } from '../stores/json-objects.js'
import type { UploadRecord } from '../uploads/upload-state.js'
import type { BloomFilter } from './bloom-filter.js'
import { isPastGrace, type GcContext } from './gc-types.js'
import { forEachKey, listKeys, toDigestString } from './listing.js'
import { removeRegistry2Data } from './sweep-registry2.js'

type StoredRecord = BlobLocation | { deleted: true }

/**
 * Step 7: blob records no repository links any more (absent from `linked`) and older than the grace
 * period become tombstones, by compare-and-swap against the version read here, and their bytes are
 * deleted. Every record kept adds its data key to `referenced`.
 */
export async function sweepBlobRecords(ctx: GcContext, linked: BloomFilter, referenced: BloomFilter): Promise<void> {
  // The total's usage is updated once per batch of removed records, not once per record.
  let removed: Digest[] = []
  const flush = async (at: number) => {
    if (removed.length < at) return
    const batch = removed
    removed = []
    await ctx.stores.usage.reconcileBlobs(batch)
  }
  await forEachKey(listKeys(ctx.driver, keys.blobRecordsPrefix(), ctx.signal), async (key) => {
    const found = await readJson<StoredRecord>(ctx.driver, key)
    if (!found || 'deleted' in found.value) return
    const record = found.value
    if (linked.has(toDigestString(key, 1)) || !isPastGrace(ctx, found.modified) || !(await removeRecord(ctx, key, found.etag))) {
      referenced.add(record.key)
      return
    }
    ctx.report.blobsDeleted++
    if (!ctx.dryRun) {
      removed.push(toDigest(toDigestString(key, 1))!)
      await flush(256)
    }
    // registry:2's bytes go only when its tree is collected too (migrated, no fallback), else they stay.
    if (isRegistry2Key(record.key)) {
      if (!(await removeRegistry2Data(ctx, record.key))) return
      ctx.report.bytesReclaimed += record.size
      if (ctx.dryRun) referenced.add(record.key) // counted here, not again by the registry:2 bytes step
      return
    }
    ctx.report.bytesReclaimed += record.size
    if (ctx.dryRun) referenced.add(record.key) // counted here, so the data step does not count it again
    else await ctx.driver.delete(record.key)
  })
  await flush(1)
}

async function removeRecord(ctx: GcContext, key: string, etag: string): Promise<boolean> {
  if (ctx.dryRun) return true
  try {
    await ctx.driver.put(key, toLocationTombstone(), { ifMatch: etag })
    return true
  } catch (error) {
    // Touched by a commit or mount since it was read: in use again.
    if (isDriverError(error, 'precondition-failed')) return false
    throw error
  }
}

/** Step 8 (first half): the data keys of upload sessions still open are referenced. */
export async function markOpenUploads(ctx: GcContext, referenced: BloomFilter): Promise<void> {
  for await (const key of listKeys(ctx.driver, keys.uploadsPrefix(), ctx.signal)) {
    const found = await readJson<UploadRecord>(ctx.driver, key)
    if (found?.value.write?.key) referenced.add(found.value.write.key)
  }
}

/** Step 8: data objects no record or open upload references, older than the grace period (crashed uploads, lost races). */
export async function sweepData(ctx: GcContext, referenced: BloomFilter): Promise<void> {
  await forEachKey(listKeys(ctx.driver, keys.blobDataPrefix(), ctx.signal), async (key) => {
    if (referenced.has(key)) return
    const info = await ctx.driver.stat(key)
    if (!info || !isPastGrace(ctx, info.modified)) return
    ctx.report.dataObjectsDeleted++
    ctx.report.bytesReclaimed += info.size
    if (!ctx.dryRun) await ctx.driver.delete(key)
  })
}
