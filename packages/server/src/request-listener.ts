import { AsyncLocalStorage } from 'node:async_hooks'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from '@wharf/core'
import { toNodeListener, toTargetPath, type FetchHandler } from '@wharf/http-adapter'
import type { Logger } from 'pino'
import type { HealthCheck } from './health-check.js'
import { ROUTE_KINDS, type RouteKind, type ServerMetrics } from './metrics.js'
import { batchedCounts, type BatchedAdd } from './batched-counts.js'
import { createRequestContext, elapsedMs, toRequestId, type RequestContext } from './request-context.js'
import { logRequest } from './request-log.js'
import type { TrustedProxies } from './trusted-proxies.js'
import { isUnservedMetrics } from './unserved-metrics.js'

/** What the main listener needs. */
export interface RequestListenerOptions {
  registry: Registry
  logger: Logger
  /** Write one line per request (at `info`). */
  accessLog: boolean
  metrics: ServerMetrics
  health: HealthCheck
  /** Added to every response (`http.headers`). */
  headers: Record<string, string[]>
  /**
   * Give events and auth the context of their request (needed by notifications, and by the access
   * log's user, digest and tags; it has a cost). On whenever `accessLog` is.
   */
  trackEventRequests: boolean
  /** Whose `X-Forwarded-For` and `X-Request-Id` to believe (`http.trustedproxies`); default nobody's. */
  trustedProxies?: TrustedProxies
  /** How long a request body may send nothing before it is answered 408 (`http.bodyidletimeout`); 0: never. */
  bodyIdleTimeoutMs?: number
  /** The web UI (ui-mount.ts): takes `/ui…` and the redirect of `/`; absent when `ui.enabled` is false. */
  ui?: { serve(req: IncomingMessage, res: ServerResponse, path: string): boolean }
}

/** The main listener plus what a graceful shutdown needs from it. */
export interface RequestListener {
  listener: (req: IncomingMessage, res: ServerResponse) => void
  /** From now on every response asks the client to close its connection. */
  startDraining(): void
  /** Requests whose response has not ended (health requests aside). */
  readonly open: number
  /** Registry calls (`fetch`) not settled yet: uploads still writing to storage, for instance. */
  readonly running: number
  /** Resolves when no registry call is running, or after `ms`. */
  settled(ms: number): Promise<void>
  /** The request an event is being emitted for, when `trackEventRequests` is on. */
  currentRequest(): RequestContext | undefined
}

const HEALTH_PATHS = new Set(['/debug/health', '/healthz'])
const ERROR_BODY_BYTES = 1024
const UPLOAD_METHODS = new Set(['POST', 'PATCH', 'PUT'])
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'])

/**
 * The standalone server's request listener around the registry: health endpoints, `http.headers`,
 * the storage-health gate (while the check fails, /v2 answers 503 UNAVAILABLE, as registry:2's
 * health handler does), per-request metrics and access log with exact body byte counts, and the
 * request context that notification events need.
 */
export function createRequestListener(options: RequestListenerOptions): RequestListener {
  const { registry, logger, metrics, health } = options
  const scope = options.trackEventRequests || options.accessLog ? new AsyncLocalStorage<RequestContext>() : undefined
  const running = new Set<Promise<unknown>>()
  const headerEntries = Object.entries(options.headers)
  const counts = toRequestCounts(metrics)
  let draining = false
  let open = 0

  // Registry calls are tracked so that a shutdown can wait for them. Both entry points are
  // offered: `handle` (when the registry has it) spares the adapter building Web Request/Response
  // objects, which costs throughput on large blobs.
  const track = <T>(call: Promise<T>): Promise<T> => {
    running.add(call)
    void call.finally(() => running.delete(call)).catch(() => undefined)
    return call
  }
  const direct = (registry as { handle?: (request: object) => Promise<unknown> }).handle
  const tracked = {
    fetch: (request: Request) => track(registry.fetch(request)),
    ...(direct ? { handle: (request: object) => track(direct.call(registry, request)) } : {}),
  } as FetchHandler
  const serve = toNodeListener(tracked, {
    onError: (err) => logger.warn({ err }, 'response failed'),
    ...(options.bodyIdleTimeoutMs === undefined ? {} : { bodyIdleTimeoutMs: options.bodyIdleTimeoutMs }),
  })

  // Nothing reads a request's context, byte counts or metrics: the access log is off, no
  // notification endpoint is set and no metrics are served (the `wharf` command's default at log
  // level warn). Building them anyway cost a manifest GET about a tenth of its CPU (103 against 93 µs
  // per request, measured with ab at 32 connections, issue 16); wrapping `res.write`/`end` and
  // `req.push` also reshapes those objects for node:http's own code.
  const observed = options.accessLog || options.trackEventRequests || !isUnservedMetrics(metrics)
  const closed = () => void open--

  /** What every request gets after its bookkeeping: the UI, `/`, the health gate, then the registry. */
  const route = (req: IncomingMessage, res: ServerResponse, path: string, method: string): void => {
    if (options.ui?.serve(req, res, path)) return
    if (path === '/' && (method === 'GET' || method === 'HEAD') && health.healthy) {
      // registry:2 answers 200 at `/` for load balancers that probe the root.
      res.writeHead(200, { 'Content-Length': '0' }).end()
      return
    }
    if (!health.healthy && path.startsWith('/v2')) return answerUnavailable(res, health)
    serve(req, res)
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, values] of headerEntries) res.setHeader(name, values)
    if (draining) res.setHeader('Connection', 'close')
    if (!observed) {
      const target = req.url ?? '/'
      const path = toTargetPath(target) ?? target
      const method = req.method ?? 'GET'
      const id = toRequestId(req, options.trustedProxies)
      if (HEALTH_PATHS.has(path)) return answerHealth(res, method, id, path, health, logger)
      res.setHeader('X-Request-Id', id)
      open++
      res.once('close', closed)
      return route(req, res, path, method)
    }
    const context = createRequestContext(req, options.trustedProxies)
    if (HEALTH_PATHS.has(context.path)) return answerHealth(res, context.method, context.id, context.path, health, logger)
    res.setHeader('X-Request-Id', context.id)
    countRequestBytes(req, context)
    countResponseBytes(res, context)
    open++
    counts.inFlight(context.kind, IN_FLIGHT_LABELS[context.kind], 1)
    const upload = context.kind === 'upload' && UPLOAD_METHODS.has(context.method)
    if (upload) metrics.uploadsInProgress.inc()
    res.once('close', () => {
      open--
      counts.inFlight(context.kind, IN_FLIGHT_LABELS[context.kind], -1)
      if (upload) metrics.uploadsInProgress.dec()
      recordRequest(metrics, counts, context, res.statusCode)
      if (options.accessLog) logRequest(logger, context, res)
    })
    if (scope) scope.run(context, () => route(req, res, context.path, context.method))
    else route(req, res, context.path, context.method)
  }

  return {
    listener,
    startDraining() {
      draining = true
    },
    get open() {
      return open
    },
    get running() {
      return running.size
    },
    async settled(ms) {
      if (running.size === 0) return
      let timer: NodeJS.Timeout | undefined
      const all = Promise.allSettled([...running]).then(() => undefined)
      await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
      clearTimeout(timer)
    },
    currentRequest: () => scope?.getStore(),
  }
}

/**
 * Counts the body bytes the request receives where they enter its stream (`push`, through which
 * every Readable gets its data), so that the body reaches the registry untouched. Wrapping the body
 * in an async generator instead added an await per chunk, which kept chunks alive into old space
 * and made V8 run full collections every few MiB of a push, and then of every pull (measured).
 */
function countRequestBytes(req: IncomingMessage, context: RequestContext): void {
  const push = req.push
  req.push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk instanceof Uint8Array) context.bytesIn += chunk.byteLength
    return push.call(this, chunk, encoding)
  }
}

/** Counts the body bytes the response writes (its own, not the connection's). */
function countResponseBytes(res: ServerResponse, context: RequestContext): void {
  const write = res.write
  const end = res.end
  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') context.bytesOut += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    else if (chunk instanceof Uint8Array) context.bytesOut += chunk.byteLength
    else return
    // Error bodies are small JSON ({"errors":[{"code":…}]}): keep their start for the access line's error code.
    if (res.statusCode >= 400 && (context.errorBody?.length ?? 0) < ERROR_BODY_BYTES) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, ERROR_BODY_BYTES)).toString('utf8')
      context.errorBody = ((context.errorBody ?? '') + text).slice(0, ERROR_BODY_BYTES)
    }
  }
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    count(chunk, rest[0])
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') count(chunk, rest[0])
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest)
  } as ServerResponse['end']
}

/** The per-request counters and gauge, summed in memory until scraped (batched-counts.ts). */
interface RequestCounts {
  requests: BatchedAdd<'method' | 'route' | 'code'>
  inFlight: BatchedAdd<'route'>
  bytesPushed: BatchedAdd<'kind'>
  bytesPulled: BatchedAdd<'kind'>
}

function toRequestCounts(metrics: ServerMetrics): RequestCounts {
  return {
    requests: batchedCounts(metrics.requests),
    inFlight: batchedCounts(metrics.inFlight),
    bytesPushed: batchedCounts(metrics.bytesPushed),
    bytesPulled: batchedCounts(metrics.bytesPulled),
  }
}

/** Label objects of the in-flight gauge, one per route kind (never mutated). */
const IN_FLIGHT_LABELS = Object.fromEntries(ROUTE_KINDS.map((route) => [route, { route }])) as Record<RouteKind, { route: RouteKind }>
const BLOB = { kind: 'blob' }
const MANIFEST = { kind: 'manifest' }

function recordRequest(metrics: ServerMetrics, counts: RequestCounts, context: RequestContext, status: number): void {
  // A client picks the method: only the ones HTTP defines become label values.
  const method = HTTP_METHODS.has(context.method) ? context.method : '_OTHER'
  const code = String(status)
  counts.requests(`${method} ${context.kind} ${code}`, { method, route: context.kind, code }, 1)
  metrics.requestDuration.observe({ method, route: context.kind }, elapsedMs(context) / 1000)
  if (status >= 400) return
  if (context.kind === 'upload' && context.bytesIn > 0) counts.bytesPushed('blob', BLOB, context.bytesIn)
  else if (context.kind === 'manifest' && context.method === 'PUT') counts.bytesPushed('manifest', MANIFEST, context.bytesIn)
  else if ((context.kind === 'blob' || context.kind === 'manifest') && context.method === 'GET') counts.bytesPulled(context.kind, context.kind === 'blob' ? BLOB : MANIFEST, context.bytesOut)
}

function answerHealth(res: ServerResponse, method: string, id: string, path: string, health: HealthCheck, logger: Logger): void {
  const failing = health.status()
  const body = JSON.stringify(failing)
  res.writeHead(Object.keys(failing).length === 0 ? 200 : 503, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  })
  res.end(method === 'HEAD' ? undefined : body)
  logger.debug({ reqId: id, path, status: res.statusCode }, 'health request')
}

function answerUnavailable(res: ServerResponse, health: HealthCheck): void {
  const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'storage is unavailable', detail: health.status() }] })
  res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Retry-After': '10' })
  res.end(body)
}
