import type { StorageDriver } from '../driver/storage-driver.js'
import type { Stores } from '../http/context.js'
import type { RetentionReport } from '../retention/retention-types.js'
import type { Registry2Files } from '../registry2/registry2-files.js'
import type { Registry2Reader } from '../registry2/registry2-reader.js'

/** Options of `registry.collectGarbage()`. */
export interface GarbageCollectionOptions {
  /**
   * Objects younger than this are kept whatever the marking says: uploads in flight, blobs just
   * linked, manifests just pushed or just untagged. Default 1 hour. `0` is registry:2's offline
   * collection: safe only while nothing writes (see layout/garbage-collection.md for the bound).
   */
  graceMs?: number
  /** Also remove manifests that no tag, kept index or kept subject reaches (registry:2's `--delete-untagged`). Default false. */
  deleteUntagged?: boolean
  /** Keep the referrers (signatures, SBOMs, attestations) of kept manifests. Default true. */
  keepReferrers?: boolean
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean
  signal?: AbortSignal
  /** Called after each repository and phase. */
  onProgress?: (progress: GarbageCollectionProgress) => void
  /** Size of each of the collector's two Bloom filters in bytes (its memory bound); default 8 MiB. */
  filterBytes?: number
  /** The clock grace periods are measured with (epoch ms); default `Date.now`. */
  now?: () => number
  /**
   * Apply the registry's `retention` rules first (`registry.applyRetention()`, with this `dryRun`),
   * so what they delete is collected in this run. Default false.
   */
  retention?: boolean
}

/** Where a collection stands. */
export interface GarbageCollectionProgress {
  phase: 'uploads' | 'repositories' | 'blobs' | 'data'
  /** Repositories, blob records or data objects looked at so far in this phase. */
  done: number
}

/** What a collection removed (or, in a dry run, would remove). */
export interface GarbageCollectionReport {
  dryRun: boolean
  repositories: number
  manifestsDeleted: number
  linksDeleted: number
  blobsDeleted: number
  dataObjectsDeleted: number
  /** Bytes of blob data removed (blob sizes plus orphaned data objects). */
  bytesReclaimed: number
  uploadsPurged: number
  /** Repositories left empty whose catalog entry was removed (`_catalog` no longer lists them). */
  repositoriesRemoved?: number
  /**
   * registry:2 files removed (tag directories, revision and layer links wharf shadows with a
   * tombstone, idle `_uploads`); its blob bytes count in `blobsDeleted`/`dataObjectsDeleted` and
   * `bytesReclaimed`. Absent when the storage holds no migrated registry:2 tree. A dry run counts
   * only the files wharf already shadowed before it (not those its own sweep would shadow).
   */
  registry2FilesDeleted?: number
  durationMs: number
  /** What retention deleted first, when asked (`retention: true`). */
  retention?: RetentionReport
}

/** What every phase of a collection works with. */
export interface GcContext {
  driver: StorageDriver
  stores: Stores
  graceMs: number
  deleteUntagged: boolean
  keepReferrers: boolean
  dryRun: boolean
  signal: AbortSignal | undefined
  /** The instant grace periods are measured from, fixed at the start of the run. */
  startedAt: number
  report: GarbageCollectionReport
  /** registry:2's tree, collected too: only once `migrate` finished and no read falls back to it. */
  registry2?: GcRegistry2
}

/** registry:2's tree as the collector sees it: a reader, and files it can stat and remove. */
export interface GcRegistry2 {
  files: Registry2Files & Required<Pick<Registry2Files, 'modified' | 'remove'>>
  reader: Registry2Reader
}

/** Whether an object last written at `modified` is older than the grace period. */
export function isPastGrace(ctx: GcContext, modified: Date | undefined): boolean {
  return modified !== undefined && modified.getTime() < ctx.startedAt - ctx.graceMs
}
