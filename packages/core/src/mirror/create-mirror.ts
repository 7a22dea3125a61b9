import { RegistryError, isRegistryError } from '../errors/registry-error.js'
import { looksLikeDigest, toDigest, type Digest } from '../grammar/digest.js'
import { isTag } from '../grammar/name.js'
import { WRITE_METHODS } from '../http/access.js'
import type { RequestContext } from '../http/context.js'
import type { RegistryResponse } from '../http/registry-message.js'
import { respond } from '../http/respond.js'
import type { Route } from '../http/router.js'
import { startBlobFill } from './blob-fill.js'
import { createMirrorEventHub } from './mirror-events.js'
import { createManifestFetcher, toClientError, type TagOutcome } from './mirror-manifests.js'
import type { MirrorEvent, MirrorEvents, MirrorOptions } from './mirror-types.js'
import { createUpstreamClient, UpstreamError, type UpstreamClient } from './upstream-client.js'
import { resolveUpstreams, selectUpstream, type MirrorTarget } from './upstream-selection.js'

/** Answers a route from the registry's own stores (the registry's dispatcher). */
export type Dispatch = (ctx: RequestContext, route: Route) => Promise<RegistryResponse>

/**
 * A pull-through cache layer, given to `createRegistry({ mirror })`. It is consulted for every
 * authorized request: content it lacks is fetched from the request's upstream on a miss and stored
 * through the registry's own stores (so quotas, usage, retention and the collector treat it like
 * pushed content), then served from there.
 */
export interface Mirror {
  /** Cache hits, misses, stale answers and upstream errors. */
  readonly events: MirrorEvents
  /** @internal called by the registry after authorization, in place of its own dispatch. */
  handle(ctx: RequestContext, route: Route, dispatch: Dispatch): Promise<RegistryResponse>
  /**
   * The repository a request's name is stored as (`?ns=` adds the upstream's prefix), so that pulls
   * are credited to what retention sees: `keepPulledWithinMs` keeps mirrored content pulled lately.
   */
  storedName(name: string, url: URL): string
}

/** `Warning` on a tag served from the cache because its upstream could not be asked (RFC 7234 code 110). */
export const STALE_WARNING = '110 wharf "Response is Stale: the upstream registry could not be reached"'
const MAX_VALIDATED = 100_000

/**
 * Creates a mirror of one or more upstream registries. With one upstream whose `prefix` is `''`
 * (registry:2's `proxy.remoteurl`) every repository is mirrored; with several, containerd's `?ns=`
 * or the repository's prefix picks one, and other repositories are the registry's own.
 */
export function createMirror(options: MirrorOptions): Mirror {
  const upstreams = resolveUpstreams(options.upstreams)
  const doFetch = options.fetch ?? globalThis.fetch
  const clients = new Map<string, UpstreamClient>()
  for (const u of upstreams) {
    clients.set(u.host, createUpstreamClient({
      url: u.options.url,
      timeoutMs: options.timeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      fetch: doFetch,
      ...(u.options.username === undefined ? {} : { username: u.options.username }),
      ...(u.options.password === undefined ? {} : { password: u.options.password }),
    }))
  }
  const hub = createMirrorEventHub()
  const maxBlobBytes = options.maxBlobBytes ?? Number.POSITIVE_INFINITY
  const defaultTtl = options.tagTtlMs ?? 0
  // In-flight work by key, so concurrent requests for one missing item share one upstream fetch.
  const blobFills = new Map<string, Promise<boolean>>()
  const manifestWork = new Map<string, Promise<unknown>>()
  // When each tag was last confirmed upstream (per process; a restart re-validates once).
  const validated = new Map<string, number>()
  let fetcher: ReturnType<typeof createManifestFetcher> | undefined

  function shared<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = manifestWork.get(key) as Promise<T> | undefined
    if (running) return running
    const started = work().finally(() => manifestWork.delete(key))
    manifestWork.set(key, started)
    return started
  }

  const note = (target: MirrorTarget, event: Omit<MirrorEvent, 'timestamp' | 'upstream' | 'repository'>) =>
    hub.emit({ upstream: target.upstream.host, repository: target.local, ...event })
  const noteError = (target: MirrorTarget, kind: MirrorEvent['kind'], error: unknown, extra: Partial<MirrorEvent> = {}) => {
    if (error instanceof UpstreamError) note(target, { type: 'upstream-error', kind, reason: error.reason, ...extra })
  }

  async function serveManifest(ctx: RequestContext, target: MirrorTarget, reference: string, local: () => Promise<RegistryResponse>): Promise<RegistryResponse> {
    fetcher ??= createManifestFetcher(ctx.stores, options.maxManifestBytes ?? ctx.settings.maxManifestBytes)
    const client = clients.get(target.upstream.host)!
    if (looksLikeDigest(reference)) {
      const digest = toDigest(reference)
      // Manifests by digest never change: stored once, never asked for again.
      if (!digest || (await ctx.stores.manifests.exists(target.local, digest))) {
        if (digest) note(target, { type: 'hit', kind: 'manifest', digest: digest.value })
        return local()
      }
      try {
        const stored = await shared(`m:${target.local}@${digest.value}`, () => fetcher!.fetchAndStore(target, client, digest.value, digest, []))
        if (!stored) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { reference } })
        note(target, { type: 'miss', kind: 'manifest', digest: digest.value, size: stored.size, stored: true })
      } catch (error) {
        noteError(target, 'manifest', error, { digest: digest.value })
        throw toClientError(error)
      }
      return local()
    }
    if (!isTag(reference)) return local()
    const key = `${target.local}:${reference}`
    const current = await ctx.stores.index.resolveTag(target.local, reference)
    const ttl = target.upstream.options.tagTtlMs ?? defaultTtl
    if (current !== undefined && Date.now() - (validated.get(key) ?? Number.NEGATIVE_INFINITY) < ttl) {
      note(target, { type: 'hit', kind: 'manifest', tag: reference, digest: current })
      return local()
    }
    let outcome: TagOutcome
    try {
      outcome = await shared(`t:${key}`, async () => {
        const found = await fetcher!.revalidate(target, client, reference, current)
        if (found !== 'unknown') remember(key)
        return found
      })
    } catch (error) {
      noteError(target, 'manifest', error, { tag: reference })
      if (current === undefined || !(error instanceof UpstreamError) || error.reason === 'digest-mismatch' || error.reason === 'invalid') throw toClientError(error)
      note(target, { type: 'stale', kind: 'manifest', tag: reference, digest: current })
      const response = await local()
      response.headers['Warning'] = STALE_WARNING
      return response
    }
    if (outcome === 'unknown') throw new RegistryError('MANIFEST_UNKNOWN', { detail: { reference } })
    note(target, { type: outcome === 'unchanged' ? 'hit' : 'miss', kind: 'manifest', tag: reference, ...(outcome === 'fetched' ? { stored: true } : {}) })
    return local()
  }

  function remember(key: string): void {
    validated.delete(key)
    if (validated.size >= MAX_VALIDATED) validated.delete(validated.keys().next().value as string)
    validated.set(key, Date.now())
  }

  async function serveBlob(ctx: RequestContext, target: MirrorTarget, digest: Digest, local: () => Promise<RegistryResponse>): Promise<RegistryResponse> {
    const { stores, request } = ctx
    if (await stores.blobs.linked(target.local, digest)) {
      note(target, { type: 'hit', kind: 'blob', digest: digest.value })
      return local()
    }
    const key = `${target.local}@${digest.value}`
    const client = clients.get(target.upstream.host)!
    const running = blobFills.get(key)
    if (running) {
      // Another request is fetching it: wait for the stored copy (then ranges, HEAD and 304 work as usual).
      if (await running.catch((error: unknown) => Promise.reject(toClientError(error)))) return local()
    }
    if (request.method === 'HEAD') return headUpstreamBlob(target, client, digest)
    let settle!: { resolve: (stored: boolean) => void; reject: (error: unknown) => void }
    const fill = new Promise<boolean>((resolve, reject) => (settle = { resolve, reject }))
    fill.catch(() => undefined)
    // Registered before the first await: a request arriving meanwhile joins this fetch.
    blobFills.set(key, fill)
    void fill.finally(() => blobFills.delete(key)).catch(() => undefined)
    // A fetch that committed between our first look and the map check is seen now.
    if (await stores.blobs.linked(target.local, digest, { fresh: true })) {
      settle.resolve(true)
      note(target, { type: 'hit', kind: 'blob', digest: digest.value })
      return local()
    }
    let body: ReadableStream<Uint8Array>
    let size: number | undefined
    try {
      const answer = await client.request('GET', `/v2/${target.remote}/blobs/${digest.value}`, target.remote)
      if (answer.status === 404) {
        answer.discard()
        throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
      }
      const length = answer.headers.get('content-length')
      size = length === null ? undefined : Number(length)
      if (size !== undefined && size > maxBlobBytes) {
        answer.discard()
        throw new UpstreamError('too-large', `the blob has ${size} bytes, more than the mirror's limit of ${maxBlobBytes}`)
      }
      let store = true
      if (size !== undefined) await stores.quotas.admit(target.local, size, digest).catch((error: unknown) => {
        if (!isRegistryError(error, 'DENIED')) throw error
        store = false
      })
      const started = startBlobFill({ stores, repository: target.local, digest, answer, size, maxBytes: maxBlobBytes, store })
      started.stored.then(
        (stored) => note(target, { type: 'miss', kind: 'blob', digest: digest.value, stored, ...(size === undefined ? {} : { size }) }),
        (error: unknown) => noteError(target, 'blob', error, { digest: digest.value }),
      )
      started.stored.then(settle.resolve, settle.reject)
      body = started.body
    } catch (error) {
      settle.reject(error)
      noteError(target, 'blob', error, { digest: digest.value })
      throw toClientError(error)
    }
    if (request.headers.has('range')) {
      // A ranged read waits for the stored copy, then is answered from it like any other.
      await body.cancel()
      if (await fill.catch((error: unknown) => Promise.reject(toClientError(error)))) return local()
      throw new RegistryError('UNAVAILABLE', { message: 'the blob could not be cached for a ranged read' })
    }
    ctx.emit('pull', target.local, { kind: 'blob', digest: digest.value, ...(size === undefined ? {} : { size }) })
    return respond(200, {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest.value,
      ETag: `"${digest.value}"`,
      ...(size === undefined ? {} : { 'Content-Length': String(size) }),
    }, body)
  }

  async function headUpstreamBlob(target: MirrorTarget, client: UpstreamClient, digest: Digest): Promise<RegistryResponse> {
    let answer
    try {
      answer = await client.request('HEAD', `/v2/${target.remote}/blobs/${digest.value}`, target.remote)
    } catch (error) {
      noteError(target, 'blob', error, { digest: digest.value })
      throw toClientError(error)
    }
    answer.discard()
    if (answer.status === 404) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
    const length = answer.headers.get('content-length')
    return respond(200, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest.value, ETag: `"${digest.value}"`, ...(length ? { 'Content-Length': length } : {}) })
  }

  return {
    events: hub,
    storedName: (name, url) => selectUpstream(upstreams, name, url.searchParams.get('ns'))?.local ?? name,
    async handle(ctx, route, dispatch) {
      if (route.kind === 'base' || route.kind === 'catalog') return dispatch(ctx, route)
      const target = selectUpstream(upstreams, route.name, ctx.url.searchParams.get('ns'))
      if (WRITE_METHODS.has(ctx.request.method) && (target || options.pushes !== 'unmirrored')) {
        throw new RegistryError('UNSUPPORTED', { message: target ? 'this repository is a pull-through cache of an upstream registry' : 'pushes are disabled: this registry is a pull-through cache' })
      }
      if (!target) return dispatch(ctx, route)
      const localRoute = { ...route, name: target.local }
      const local = () => dispatch(ctx, localRoute)
      let response: RegistryResponse
      if (route.kind === 'manifest') response = await serveManifest(ctx, target, route.reference, local)
      else if (route.kind === 'blob' && toDigest(route.digest)) response = await serveBlob(ctx, target, toDigest(route.digest)!, local)
      else response = await local()
      if (target.namespace !== undefined) response.headers['OCI-Namespace'] = target.namespace
      return response
    },
  }
}
