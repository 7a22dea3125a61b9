import type { Access, Identity } from '../auth/auth-hooks.js'
import type { StorageDriver } from '../driver/storage-driver.js'
import type { RegistryEvent } from '../events.js'
import type { ReferenceRules } from '../manifests/missing-references.js'
import type { BlobStore } from '../stores/blob-store.js'
import type { CatalogStore } from '../stores/catalog-store.js'
import type { ManifestIndex } from '../stores/manifest-index.js'
import type { ManifestStore } from '../stores/manifest-store.js'
import type { ReferrersStore } from '../stores/referrers-store.js'
import type { TagStore } from '../stores/tag-store.js'
import type { UsageStore } from '../stores/usage-store.js'
import type { QuotaGuard } from '../policies/quotas.js'
import type { UploadService } from '../uploads/upload-service.js'
import type { RegistryRequest } from './registry-message.js'

/** The stores a registry is made of, stacked on one driver. */
export interface Stores {
  driver: StorageDriver
  blobs: BlobStore
  manifests: ManifestStore
  tags: TagStore
  referrers: ReferrersStore
  /** Revisions, tags and referrers changed together (the only writer of those three). */
  index: ManifestIndex
  catalog: CatalogStore
  uploads: UploadService
  /** Usage records, updated through `blobs` (stores/usage-store.ts). */
  usage: UsageStore
  /** Quota checks (policies/quotas.ts); the upload service and mounts ask it. */
  quotas: QuotaGuard
}

/** Settings the handlers read, with defaults applied. */
export interface HandlerSettings {
  deleteEnabled: boolean
  redirect: false | { expiresInSeconds: number }
  maxManifestBytes: number
  /** Which references of a pushed manifest must already be in the repository (`sparseManifests`). */
  references: ReferenceRules
  /** Builds the absolute or relative URL for a `Location` header from a /v2 path. */
  location(request: RegistryRequest, path: string): string
}

/** Everything a route handler gets for one authorized request. */
export interface RequestContext {
  request: RegistryRequest
  url: URL
  identity: Identity
  stores: Stores
  settings: HandlerSettings
  /** Whether the caller also holds `access` (e.g. pull on a mount's source repository). */
  allowed(access: Access): Promise<boolean>
  /** Queues an event for after the response is decided. */
  emit(action: RegistryEvent['action'], repository: string, target: RegistryEvent['target']): void
}
