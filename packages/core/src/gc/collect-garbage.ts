import type { Stores } from '../http/context.js'
import { createBloomFilter } from './bloom-filter.js'
import { collectRepository } from './collect-repository.js'
import type { GarbageCollectionOptions, GarbageCollectionReport, GcContext, GcRegistry2 } from './gc-types.js'
import { markOpenUploads, sweepBlobRecords, sweepData } from './sweep-blobs.js'
import { removeIfEmpty } from './sweep-catalog.js'
import { sweepRegistry2Blobs, sweepRegistry2Repositories } from './sweep-registry2.js'

/** Default grace period of an online collection. */
export const DEFAULT_GRACE_MS = 60 * 60_000

/**
 * Collects garbage online: marks from every tag (and, unless `deleteUntagged`, every manifest),
 * keeps everything younger than the grace period, and removes the rest — manifests, links, blob
 * records, their bytes, orphaned data and idle uploads. Safe while other processes push, pull and
 * delete on the same storage; the algorithm and why it is safe are in layout/garbage-collection.md.
 * Memory: two Bloom filters of `filterBytes` each, plus the links, tags and manifest edges of one
 * repository at a time.
 *
 * With `registry2` (a migrated registry:2 tree under the same root, which no process reads through
 * the fallback any more and registry:2 no longer writes), its files are collected by the same
 * rules: see "registry:2's tree" in layout/garbage-collection.md.
 */
export async function collectGarbage(stores: Stores, options: GarbageCollectionOptions = {}, registry2?: GcRegistry2): Promise<GarbageCollectionReport> {
  const startedAt = (options.now ?? Date.now)()
  const ctx: GcContext = {
    driver: stores.driver,
    stores,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    deleteUntagged: options.deleteUntagged ?? false,
    keepReferrers: options.keepReferrers ?? true,
    dryRun: options.dryRun ?? false,
    signal: options.signal,
    startedAt,
    ...(registry2 ? { registry2 } : {}),
    report: {
      dryRun: options.dryRun ?? false,
      repositories: 0,
      manifestsDeleted: 0,
      linksDeleted: 0,
      blobsDeleted: 0,
      dataObjectsDeleted: 0,
      bytesReclaimed: 0,
      uploadsPurged: 0,
      repositoriesRemoved: 0,
      ...(registry2 ? { registry2FilesDeleted: 0 } : {}),
      durationMs: 0,
    },
  }
  const progress = options.onProgress ?? (() => undefined)

  // Idle sessions first, so their staged bytes are not counted as referenced below.
  ctx.report.uploadsPurged = (await stores.uploads.purge(ctx.graceMs, ctx.dryRun)).length
  progress({ phase: 'uploads', done: ctx.report.uploadsPurged })

  const linked = createBloomFilter(options.filterBytes)
  let last: string | undefined
  for (;;) {
    ctx.signal?.throwIfAborted()
    const page = await stores.catalog.list(100, last)
    for (const repository of page.names) {
      await collectRepository(ctx, repository, linked)
      await removeIfEmpty(ctx, repository)
      progress({ phase: 'repositories', done: ++ctx.report.repositories })
    }
    if (!page.more || page.names.length === 0) break
    last = page.names[page.names.length - 1]
  }

  // registry:2's repositories after wharf's (their roots must be in `linked` before step 7).
  if (registry2) await sweepRegistry2Repositories(ctx, registry2, linked)

  const referenced = createBloomFilter(options.filterBytes)
  await sweepBlobRecords(ctx, linked, referenced)
  progress({ phase: 'blobs', done: ctx.report.blobsDeleted })
  await markOpenUploads(ctx, referenced)
  await sweepData(ctx, referenced)
  if (registry2) await sweepRegistry2Blobs(ctx, registry2, linked, referenced)
  progress({ phase: 'data', done: ctx.report.dataObjectsDeleted })

  ctx.report.durationMs = (options.now ?? Date.now)() - startedAt
  return ctx.report
}
