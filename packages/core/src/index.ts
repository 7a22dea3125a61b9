export type {
  StorageDriver,
  DriverCapabilities,
  WriteState,
  OperationOptions,
  PutOptions,
  ReadOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  StoredObject,
} from './driver/storage-driver.js'
export { CHUNK_PUMP, toChunkPump, type ChunkPump } from './driver/chunk-pump.js'
export { DriverError, isDriverError, type DriverErrorKind, type DriverErrorOptions } from './driver/driver-error.js'
export { createMemoryDriver, type MemoryDriverOptions } from './driver/memory-driver.js'
export { createAllowAllAuth, toScope, type AuthHooks, type Access, type Action, type Identity, type ChallengeReason } from './auth/auth-hooks.js'
export type { RegistryEvent, RegistryEventAction, RegistryEventListener, RegistryEvents, GarbageCollectionEvent } from './events.js'
export type { GarbageCollectionOptions, GarbageCollectionProgress, GarbageCollectionReport } from './gc/gc-types.js'
export { createRegistry, type Registry, type RegistryOptions } from './registry.js'
export { traceStorage } from './tracing/trace-storage.js'
export type { TracingOptions } from './tracing/tracing-options.js'
export type { RetentionRule } from './retention/retention-rules.js'
export type { ApplyRetentionOptions, RetentionReport, RepositoryRetentionReport, RetainedTagDecision, RetainedManifestDecision } from './retention/retention-types.js'
export { RegistryError, isRegistryError, toErrorBody, type RegistryErrorOptions } from './errors/registry-error.js'
export { ERROR_CODES, type ErrorCode } from './errors/error-codes.js'
export { toDigest, isDigest, digestOf, type Digest, type DigestAlgorithm } from './grammar/digest.js'
export { isRepositoryName, isTag, MAX_NAME_LENGTH, MAX_NAME_COMPONENT_LENGTH } from './grammar/name.js'
export { isRepositoryGlob, toRepositoryMatcher, type RepositoryMatcher } from './grammar/repository-glob.js'
export type { QuotaRule } from './policies/quotas.js'
export type { ImmutableTagRule } from './policies/immutable-tags.js'
export type { UsageFigures } from './stores/usage-store.js'
export type { UsageQuery, UsageReport, RepositoryUsage, NamespaceUsage } from './stores/usage-report.js'
export { toChunkRange, toReadRange, type ByteRange, type ChunkRange, type ReadRange } from './grammar/ranges.js'
export { keys as storageKeys } from './layout/key-layout.js'
export type { Registry2Files } from './registry2/registry2-files.js'
export { registry2Paths, REGISTRY2_ROOT } from './registry2/registry2-layout.js'
export type { Registry2Mode, Registry2Options, Registry2Status, Registry2MigrationRecord } from './registry2/registry2-source.js'
export { migrateRegistry2, type MigrateOptions, type MigrateProgress, type MigrateSummary } from './registry2/migrate-registry2.js'
export { MEDIA_TYPES } from './manifests/media-types.js'
export { parseManifest, type ParsedManifest, type ManifestPlatform } from './manifests/parse-manifest.js'
export type { SparseManifests, SparseManifestOptions } from './manifests/missing-references.js'
export { toRoute, type Route } from './http/router.js'
export { toAccess } from './http/access.js'
export type { UploadRecord, UploadState } from './uploads/upload-state.js'
export { REQUEST_BODY, toBodyChunks, type RequestWithBody } from './http/request-body.js'
export { toWebResponse, type RegistryRequest, type RegistryResponse, type HeaderReader } from './http/registry-message.js'
export { createMirror, STALE_WARNING, type Mirror } from './mirror/create-mirror.js'
export type { MirrorOptions, UpstreamOptions, MirrorEvent, MirrorEventType, MirrorEventListener, MirrorEvents } from './mirror/mirror-types.js'
