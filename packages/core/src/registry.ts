import { createAllowAllAuth, type Access, type AuthHooks, type Identity } from './auth/auth-hooks.js'
import type { StorageDriver } from './driver/storage-driver.js'
import { isDriverError } from './driver/driver-error.js'
import { RegistryError, isRegistryError } from './errors/registry-error.js'
import { collectGarbage } from './gc/collect-garbage.js'
import type { GarbageCollectionOptions, GarbageCollectionReport } from './gc/gc-types.js'
import { toCollectedRegistry2 } from './gc/collected-registry2.js'
import { createEventHub, type RegistryEvent, type RegistryEvents } from './events.js'
import { toReferenceRules, type SparseManifests } from './manifests/missing-references.js'
import { toDigest } from './grammar/digest.js'
import { toAccess, WRITE_METHODS } from './http/access.js'
import type { HandlerSettings, RequestContext, Stores } from './http/context.js'
import { deleteBlob, getBlob } from './http/handlers/blobs.js'
import { listCatalog, listReferrers, listTags } from './http/handlers/listings.js'
import { deleteManifest, getManifest, putManifest } from './http/handlers/manifests.js'
import { handleUpload } from './http/handlers/uploads.js'
import { assertRepositoryName } from './http/name-invalid.js'
import { respondError, respondJson } from './http/respond.js'
import { toRawPath } from './http/request-target.js'
import { toWebResponse, type RegistryRequest, type RegistryResponse } from './http/registry-message.js'
import { ROUTE_METHODS, toRoute, type Route } from './http/router.js'
import { createBlobStore } from './stores/blob-store.js'
import { createCatalogStore, withCatalogConfirm } from './stores/catalog-store.js'
import { createManifestIndex } from './stores/manifest-index.js'
import { createManifestStore } from './stores/manifest-store.js'
import { createReferrersStore } from './stores/referrers-store.js'
import { createTagStore } from './stores/tag-store.js'
import { withUsage } from './stores/counted-blob-store.js'
import { createUsageStore } from './stores/usage-store.js'
import { readUsage, rebuildUsage, type UsageQuery, type UsageReport } from './stores/usage-report.js'
import { createImmutableTagPolicy, type ImmutableTagRule } from './policies/immutable-tags.js'
import { createQuotaGuard, type QuotaRule } from './policies/quotas.js'
import { applyRetention } from './retention/apply-retention.js'
import { createPullRecorder, type PullRecorder } from './retention/pull-recorder.js'
import { createRetentionPolicy, type RetentionRule } from './retention/retention-rules.js'
import type { ApplyRetentionOptions, RetentionReport } from './retention/retention-types.js'
import { createUploadService } from './uploads/upload-service.js'
import type { Mirror } from './mirror/create-mirror.js'
import { createRegistry2Source, type Registry2Options, type Registry2Source, type Registry2Status } from './registry2/registry2-source.js'
import { withRegistry2Catalog, withRegistry2Manifests, withRegistry2Tags } from './registry2/registry2-stores.js'
import { recordRequestException, traceRequests } from './tracing/trace-requests.js'
import { traceStorage } from './tracing/trace-storage.js'
import type { TracingOptions } from './tracing/tracing-options.js'

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** Where everything is kept. */
  storage: StorageDriver
  /** Who may do what; default: everyone may do everything. */
  auth?: AuthHooks
  /** Whether manifests, tags and blobs may be deleted (405 UNSUPPORTED when off). Default true. */
  deleteEnabled?: boolean
  /** Refuse every write with 405 UNSUPPORTED (for maintenance windows). Default false. */
  readOnly?: boolean
  /** Redirect blob GETs to a pre-signed storage URL (307) when the driver can. Default false. */
  redirect?: boolean | { expiresInSeconds?: number }
  /** Largest manifest accepted (413 beyond). Default 4 MiB. */
  maxManifestBytes?: number
  /**
   * Accept manifests whose references are not all in the repository ("sparse" manifests, as
   * registry:3's `validation.manifests.indexes.platforms`). Default false: every child manifest,
   * config and layer must be present, else 400 MANIFEST_BLOB_UNKNOWN. `true` checks none of them;
   * see {@link SparseManifests} for per-platform rules.
   */
  sparseManifests?: SparseManifests
  /**
   * Build absolute `Location` URLs from `X-Forwarded-Proto`/`X-Forwarded-Host` (only behind a proxy you
   * trust). Default false: `Location` is a path, which every client resolves against the request URL.
   */
  trustForwardedHeaders?: boolean
  /**
   * A registry:2 tree (`docker/registry/v2/...`) under the same storage root is served in place:
   * wharf falls back to it for anything it has no record of (see `registry2/`). Default
   * `{ mode: 'auto' }`: on when such a tree is found and `migrate` has not completed.
   */
  registry2?: Registry2Options
  /**
   * Byte quotas per repository glob, e.g. `[{ repositories: 'team-a/**', maxBytes: 10 * 2 ** 30 }]`:
   * a push that would take a matching repository past `maxBytes` is refused with 403 DENIED (see
   * policies/quotas.ts for when, and the overshoot concurrent pushes may cause). Default none.
   */
  quotas?: QuotaRule[]
  /**
   * Tags that cannot be moved or deleted once they exist, e.g. `[{ repositories: 'prod/**', tags:
   * ['v*'] }]` (403 DENIED); re-pushing the same digest is allowed, `latest` stays mutable unless a
   * pattern is exactly `latest`. See policies/immutable-tags.ts. Default none.
   */
  immutableTags?: ImmutableTagRule[]
  /**
   * Retention per repository glob, applied by `applyRetention()` (and by `collectGarbage({
   * retention: true })` before it marks), e.g. `[{ repositories: 'ci/**', keepLast: 10, keepTags:
   * ['v*', 'latest'], untaggedAfterMs: 7 * 86_400_000, keepPulledWithinMs: 30 * 86_400_000 }]`.
   * First matching rule wins; see retention/retention-rules.ts. Default none.
   */
  retention?: RetentionRule[]
  /**
   * How often pulls noted in memory are written to storage, for `keepPulledWithinMs` (one write
   * per repository per interval, whatever the number of pulls; also on `applyRetention` and
   * `close`). Default 60 s.
   */
  pullFlushIntervalMs?: number
  /** How long an upload request holds its session before renewing. Default 30 s. */
  uploadLeaseMs?: number
  /**
   * A pull-through cache (`createMirror`, mirror/create-mirror.ts): what storage lacks is fetched
   * from the upstream and stored through the stores below as a push would; writes are refused in
   * mirrored repositories (everywhere unless `pushes: 'unmirrored'`). Default none.
   */
  mirror?: Mirror
  /** Told about unexpected failures (answered as 500 without details). */
  onError?: (error: unknown, request: RegistryRequest) => void
  /**
   * OpenTelemetry spans for each request and each storage call (tracing/trace-requests.ts and
   * trace-storage.ts), through `@opentelemetry/api`: a no-op until the host registers an SDK.
   * Default: on, with the global tracer provider; `false` turns the wrappers off entirely.
   */
  tracing?: false | TracingOptions
}

/** A registry: one Web-standard handler for every /v2 request, plus its events and maintenance. */
export interface Registry {
  /** Answers any request; paths outside /v2 get 404. Never rejects. */
  fetch(request: Request): Promise<Response>
  /**
   * The same as `fetch` without the Web `Request`/`Response` objects, for adapters: takes anything
   * shaped like a request (see {@link RegistryRequest}) and answers status, headers and body.
   */
  handle(request: RegistryRequest): Promise<RegistryResponse>
  /** Push, pull, mount and delete events, and `gc` when a `collectGarbage()` call finishes. */
  readonly events: RegistryEvents
  readonly storage: StorageDriver
  /** Whether a registry:2 tree was found and whether reads fall back to it (looked up once). */
  registry2Status(): Promise<Registry2Status>
  /** Removes upload sessions idle for longer than `olderThanMs`; returns their ids. */
  purgeUploads(options: { olderThanMs: number; dryRun?: boolean }): Promise<string[]>
  /**
   * Collects garbage online (safe while this and other processes serve the same storage; see
   * layout/garbage-collection.md). Refuses, with an error saying so, while reads still fall back to
   * a registry:2 tree: run `migrate` first, so that its content is marked like wharf's own.
   */
  collectGarbage(options?: GarbageCollectionOptions): Promise<GarbageCollectionReport>
  /**
   * Applies the `retention` rules: deletes the tags no rule keeps and untagged manifests past their
   * delay, through the manifest index and only as read (a tag pushed again meanwhile survives), and
   * never an immutable tag. `{ dryRun: true }` lists what would go and deletes nothing. The bytes
   * are reclaimed by the next `collectGarbage()`.
   */
  applyRetention(options?: ApplyRetentionOptions): Promise<RetentionReport>
  /**
   * Deduplicated bytes per repository, per namespace and in total (see stores/usage-store.ts for
   * what each counts), read from records kept up to date by every push, mount and delete: one
   * object per repository listed, never a walk. A string asks for one repository and its
   * namespaces; `{ rebuild: true }` first recomputes every record by a walk of the storage.
   */
  usage(query?: string | UsageQuery): Promise<UsageReport>
  /** Releases the storage driver's resources. */
  close(): Promise<void>
}

/** The stores on one driver, with the registry:2 fallback layered in (also used by `migrate`). */
export function createStores(
  storage: StorageDriver,
  options: Pick<RegistryOptions, 'uploadLeaseMs' | 'quotas' | 'immutableTags'>,
  registry2: Registry2Source,
): Stores {
  const fallback = () => registry2.fallback()
  const catalog = withRegistry2Catalog(createCatalogStore(storage), fallback)
  const linkedBlobs = createBlobStore(storage, catalog, { registry2: { files: registry2.files, fallback } })
  const usage = createUsageStore(storage, { linkSize: async (repository, digest) => (await linkedBlobs.linked(repository, digest, { fresh: true }))?.size })
  // Every link and blob record change made through `blobs` updates the usage records.
  const blobs = withUsage(linkedBlobs, usage)
  const quotas = createQuotaGuard(options.quotas ?? [], usage, linkedBlobs)
  const manifests = withRegistry2Manifests(createManifestStore(storage), fallback)
  const tags = withRegistry2Tags(createTagStore(storage), fallback)
  const referrers = createReferrersStore(storage)
  return {
    driver: storage,
    blobs,
    catalog,
    manifests,
    tags,
    referrers,
    index: withCatalogConfirm(createManifestIndex(manifests, tags, referrers, { immutableTags: createImmutableTagPolicy(options.immutableTags) }), catalog),
    uploads: createUploadService(storage, blobs, { ...(options.uploadLeaseMs === undefined ? {} : { leaseMs: options.uploadLeaseMs }), admit: quotas.admit }),
    usage,
    quotas,
  }
}

/** `host[:port]` and nothing else: a forwarded host with a path, userinfo or spaces must not shape `Location`. */
const AUTHORITY = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/

function toLocationBuilder(trustForwarded: boolean): HandlerSettings['location'] {
  if (!trustForwarded) return (_request, path) => path
  return (request, path) => {
    const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim()
    const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() ?? request.headers.get('host')
    if (!host || !AUTHORITY.test(host) || (proto !== undefined && proto !== 'http' && proto !== 'https')) return path
    return `${proto ?? new URL(request.url).protocol.slice(0, -1)}://${host}${path}`
  }
}

/** Checks the parts of a route that come from the client before anything else runs. */
function validateRoute(route: Route): void {
  if ('name' in route) assertRepositoryName(route.name)
  if ((route.kind === 'blob' || route.kind === 'referrers') && !toDigest(route.digest)) {
    throw new RegistryError('DIGEST_INVALID', { detail: { digest: route.digest } })
  }
}

/**
 * Creates a registry on a storage driver. The result's `fetch` answers the whole OCI Distribution
 * v1.1 API (plus Docker schema 2 and the Docker token-auth challenge through the auth hooks) for any
 * Web-standard `Request`; adapters mount it into node:http, Express, Koa or Fastify.
 */
export function createRegistry(options: RegistryOptions): Registry {
  const storage = options.tracing === false ? options.storage : traceStorage(options.storage, options.tracing)
  const auth = options.auth ?? createAllowAllAuth()
  const registry2 = createRegistry2Source(storage, options.registry2)
  const stores = createStores(storage, options, registry2)
  const hub = createEventHub()
  const retention = createRetentionPolicy(options.retention)
  // Pulls are noted only where a rule keeps what was pulled: no cost anywhere else.
  const pulls: PullRecorder | undefined = retention.rules.some((r) => r.rule.keepPulledWithinMs !== undefined)
    ? createPullRecorder(storage, { horizonMs: retention.pullHorizonMs, ...(options.pullFlushIntervalMs === undefined ? {} : { flushIntervalMs: options.pullFlushIntervalMs }) })
    : undefined
  const retentionContext = { stores, policy: retention, immutableTags: createImmutableTagPolicy(options.immutableTags), pulls }
  async function retainNow(retentionOptions: ApplyRetentionOptions = {}): Promise<RetentionReport> {
    if ((await registry2.status()).fallback) {
      throw new Error('retention needs the registry:2 tree migrated first (wharf migrate): its tags would not be seen')
    }
    return applyRetention(retentionContext, retentionOptions)
  }
  const settings: HandlerSettings = {
    deleteEnabled: options.deleteEnabled ?? true,
    redirect: options.redirect ? { expiresInSeconds: (typeof options.redirect === 'object' && options.redirect.expiresInSeconds) || 300 } : false,
    maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
    references: toReferenceRules(options.sparseManifests),
    location: toLocationBuilder(options.trustForwardedHeaders ?? false),
  }

  async function authorize(request: RegistryRequest, access: Access[]): Promise<Identity> {
    const identity = await auth.authenticate(request, access)
    const reason = request.headers.has('authorization') ? 'invalid' : 'missing'
    if (!identity) {
      throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': auth.challenge(request, access, reason) } })
    }
    for (const needed of access) {
      const granted = await auth.authorize(identity, needed)
      const lacking = needed.actions.filter((a) => !granted.includes(a) && !granted.includes('*'))
      if (lacking.length === 0) continue
      if (identity.anonymous || identity.challengeWhenDenied === true) {
        const why = identity.anonymous && reason === 'missing' ? 'missing' : 'insufficient_scope'
        throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': auth.challenge(request, access, why) } })
      }
      throw new RegistryError('DENIED', { detail: { type: needed.type, name: needed.name, actions: lacking } })
    }
    return identity
  }

  async function dispatch(ctx: RequestContext, route: Route): Promise<RegistryResponse> {
    const method = ctx.request.method
    switch (route.kind) {
      case 'base':
        return respondJson(200, {})
      case 'catalog':
        return listCatalog(ctx)
      case 'tags':
        return listTags(ctx, route.name)
      case 'referrers':
        return listReferrers(ctx, route.name, toDigest(route.digest)!)
      case 'blob':
        return method === 'DELETE' ? deleteBlob(ctx, route.name, toDigest(route.digest)!) : getBlob(ctx, route.name, toDigest(route.digest)!)
      case 'upload':
        return handleUpload(ctx, route.name, route.id)
      case 'manifest':
        if (method === 'PUT') return putManifest(ctx, route.name, route.reference)
        if (method === 'DELETE') return deleteManifest(ctx, route.name, route.reference)
        return getManifest(ctx, route.name, route.reference)
    }
  }

  async function answer(request: RegistryRequest, events: RegistryEvent[]): Promise<RegistryResponse> {
    const url = new URL(request.url)
    // Routed on the path as sent, not as `new URL` normalised it (see request-target.ts).
    const path = toRawPath(request.url) ?? url.pathname
    const route = toRoute(path)
    if (!route) throw new RegistryError('UNSUPPORTED', { status: 404, message: 'no such route' })
    const allowedMethods = ROUTE_METHODS[route.kind]
    if (!allowedMethods.includes(request.method)) {
      throw new RegistryError('UNSUPPORTED', { message: 'method not allowed', headers: { Allow: allowedMethods.join(', ') } })
    }
    validateRoute(route)
    if (options.readOnly && WRITE_METHODS.has(request.method)) {
      throw new RegistryError('UNSUPPORTED', { message: 'the registry is in read-only mode' })
    }
    const identity = await authorize(request, toAccess(route, request.method))
    const ctx: RequestContext = {
      request,
      url,
      identity,
      stores,
      settings,
      allowed: async (access) => {
        const granted = await auth.authorize(identity, access)
        return access.actions.every((a) => granted.includes(a) || granted.includes('*'))
      },
      emit: (action, repository, target) => {
        if (!hub.hasListeners()) return
        events.push({
          action,
          repository,
          target,
          actor: identity,
          request: { method: request.method, url: path, ...(request.headers.has('user-agent') ? { userAgent: request.headers.get('user-agent')! } : {}) },
          timestamp: new Date(),
        })
      },
    }
    const response = await (options.mirror ? options.mirror.handle(ctx, route, dispatch) : dispatch(ctx, route))
    // A manifest GET or HEAD (304 too) is a pull of the digest it answered: noted in memory only.
    if (pulls && route.kind === 'manifest' && request.method !== 'PUT' && request.method !== 'DELETE' && (response.status === 200 || response.status === 304)) {
      const digest = response.headers['Docker-Content-Digest']
      if (digest) pulls.record(options.mirror ? options.mirror.storedName(route.name, url) : route.name, digest)
    }
    return response
  }

  const onError = options.tracing === false ? options.onError : (error: unknown, request: RegistryRequest) => {
    recordRequestException(error)
    options.onError?.(error, request)
  }
  async function answerRequest(request: RegistryRequest): Promise<RegistryResponse> {
    const events: RegistryEvent[] = []
    let response: RegistryResponse
    try {
      response = await answer(request, events)
    } catch (error) {
      response = respondError(toRegistryError(error, request, onError), request.method)
    }
    if (events.length > 0) queueMicrotask(() => events.forEach((e) => hub.emit(e)))
    return response
  }
  const handle = options.tracing === false ? answerRequest : traceRequests(answerRequest, options.tracing)

  return {
    events: hub,
    storage,
    handle,
    fetch: async (request) => toWebResponse(await handle(request)),
    registry2Status: () => registry2.status(),
    purgeUploads: ({ olderThanMs, dryRun }) => stores.uploads.purge(olderThanMs, dryRun),
    applyRetention: retainNow,
    async collectGarbage(gcOptions) {
      const status = await registry2.status()
      if (status.fallback) {
        throw new Error('garbage collection needs the registry:2 tree migrated first (wharf migrate): its content would not be marked')
      }
      // Retention first, so what it deletes is collected in the same run.
      const retained = gcOptions?.retention ? await retainNow({ ...(gcOptions.dryRun === undefined ? {} : { dryRun: gcOptions.dryRun }), ...(gcOptions.signal ? { signal: gcOptions.signal } : {}) }) : undefined
      const report = withRetention(await collectGarbage(stores, gcOptions, await toCollectedRegistry2(storage, status, registry2)), retained)
      hub.emitGarbageCollection({ action: 'gc', report, timestamp: new Date() })
      return report
    },
    async usage(query) {
      const asked = typeof query === 'string' ? { repository: query } : (query ?? {})
      if (asked.repository !== undefined) assertRepositoryName(asked.repository)
      if (asked.rebuild) await rebuildUsage(storage, stores.catalog, stores.usage)
      return readUsage(stores.usage, asked.repository)
    },
    async close() {
      try {
        await pulls?.close()
      } finally {
        await storage.close?.()
      }
    },
  }
}

/** The collector's report with the retention report of the same run, when retention ran. */
function withRetention(report: GarbageCollectionReport, retention: RetentionReport | undefined): GarbageCollectionReport {
  return retention ? { ...report, retention } : report
}

/** Any failure as a RegistryError; unexpected ones become a bare 500/503 and go to `onError`. */
function toRegistryError(error: unknown, request: RegistryRequest, onError?: RegistryOptions['onError']): RegistryError {
  if (isRegistryError(error)) return error
  onError?.(error, request)
  if (isDriverError(error, 'unavailable')) {
    return new RegistryError('UNAVAILABLE', { message: 'storage is unavailable' })
  }
  return new RegistryError('UNKNOWN')
}
