import { context, propagation, trace, SpanKind, SpanStatusCode, type Attributes, type Span, type TextMapGetter } from '@opentelemetry/api'
import type { HeaderReader, RegistryRequest, RegistryResponse } from '../http/registry-message.js'
import { toRawPath } from '../http/request-target.js'
import { toRoute, type Route } from '../http/router.js'
import { CHUNK_PUMP, toChunkPump, type ChunkPump } from '../driver/chunk-pump.js'
import { toTracer, type TracingOptions } from './tracing-options.js'

/** Answers one request (the registry's `handle`). */
export type RequestHandler = (request: RegistryRequest) => Promise<RegistryResponse>

/** Route templates for `http.route`: the OCI spec's endpoints, so a span name never holds a repository or digest. */
const ROUTE_TEMPLATES: Record<Route['kind'], string> = {
  base: '/v2/',
  catalog: '/v2/_catalog',
  blob: '/v2/{name}/blobs/{digest}',
  upload: '/v2/{name}/blobs/uploads/{reference}',
  manifest: '/v2/{name}/manifests/{reference}',
  tags: '/v2/{name}/tags/list',
  referrers: '/v2/{name}/referrers/{digest}',
}

/** Methods semantic conventions name as themselves; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'])

const HEADER_GETTER: TextMapGetter<HeaderReader> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => (typeof (headers as Partial<Headers>).keys === 'function' ? [...(headers as Headers).keys()] : []),
}

/**
 * Wraps the registry's request handler in one OpenTelemetry span per request, following the HTTP
 * server semantic conventions: named `<METHOD> <route>` (`PUT /v2/{name}/manifests/{reference}`),
 * with `http.request.method`, `http.route`, `url.path`, `url.scheme`, `user_agent.original`,
 * `http.response.status_code`, and `oci.repository` / `oci.reference` / `oci.digest` taken from the
 * route (`oci.route` is the route kind, as the access log and metrics name it). 5xx answers get
 * status ERROR and `error.type`; the error behind an unexpected 500 is recorded by
 * {@link recordRequestException}.
 *
 * Promises:
 * - The parent is a span already active (a host's HTTP instrumentation; this span is then INTERNAL),
 *   else the incoming `traceparent` through the globally registered propagator (W3C trace context
 *   by default in the Node SDK); this span is then a SERVER span.
 * - Storage spans (see `traceStorage`) made while the request is handled are its children.
 * - A streamed body (blob GET) ends the span when the stream ends or is cancelled, not when the
 *   headers are ready; the response is otherwise the handler's own.
 * - Without a recording span (no SDK installed, or sampled out) the handler is called directly:
 *   no route parsing, no context switch, no stream wrapping.
 */
export function traceRequests(handle: RequestHandler, options: TracingOptions = {}): RequestHandler {
  const tracer = toTracer(options)
  return (request) => {
    const active = context.active()
    const hostSpan = trace.getSpan(active)
    const parent = hostSpan ? active : propagation.extract(active, request.headers, HEADER_GETTER)
    const known = KNOWN_METHODS.has(request.method)
    const span = tracer.startSpan(known ? request.method : 'HTTP', { kind: hostSpan ? SpanKind.INTERNAL : SpanKind.SERVER }, parent)
    if (!span.isRecording()) return handle(request)
    describeRequest(span, request, known)
    return context.with(trace.setSpan(parent, span), () => handle(request)).then(
      (response) => {
        span.setAttribute('http.response.status_code', response.status)
        if (response.status >= 500) {
          span.setAttribute('error.type', String(response.status))
          span.setStatus({ code: SpanStatusCode.ERROR })
        }
        if (response.body instanceof ReadableStream) return { ...response, body: endWithStream(response.body, span) }
        span.end()
        return response
      },
      (error: unknown) => {
        recordError(span, error)
        span.end()
        throw error
      },
    )
  }
}

/**
 * Records an unexpected error on the active request span (the registry calls it where it calls
 * `onError`); nothing when no span is recording.
 */
export function recordRequestException(error: unknown): void {
  const span = trace.getActiveSpan()
  if (span?.isRecording()) recordError(span, error)
}

function describeRequest(span: Span, request: RegistryRequest, known: boolean): void {
  const url = new URL(request.url)
  const path = toRawPath(request.url) ?? url.pathname
  const attributes: Attributes = {
    'http.request.method': known ? request.method : '_OTHER',
    'url.path': path,
    'url.scheme': url.protocol.slice(0, -1),
  }
  if (!known) attributes['http.request.method_original'] = request.method
  const userAgent = request.headers.get('user-agent')
  if (userAgent !== null) attributes['user_agent.original'] = userAgent
  const route = toRoute(path)
  if (route) {
    const template = route.kind === 'upload' && route.id === undefined ? '/v2/{name}/blobs/uploads/' : ROUTE_TEMPLATES[route.kind]
    attributes['http.route'] = template
    attributes['oci.route'] = route.kind
    if ('name' in route) attributes['oci.repository'] = route.name
    if (route.kind === 'manifest') attributes['oci.reference'] = route.reference
    if (route.kind === 'blob' || route.kind === 'referrers') attributes['oci.digest'] = route.digest
    span.updateName(`${known ? request.method : 'HTTP'} ${template}`)
  }
  span.setAttributes(attributes)
}

function recordError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
}

/**
 * The body, ending `span` once it has been read to the end, failed or been cancelled. A storage
 * stream's chunk pump (driver/chunk-pump.ts) is kept, ending the span when the pump settles, so that
 * tracing does not take the node:http adapter off its buffer-reusing path.
 */
function endWithStream(body: ReadableStream<Uint8Array>, span: Span): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let open = true
  const end = (error?: unknown) => {
    if (!open) return
    open = false
    if (error !== undefined) recordError(span, error)
    span.end()
  }
  const wrapped = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Taken on the first read, not before: until then the body's pump is still free to use.
          const { done, value } = await (reader ??= body.getReader()).read()
          if (done) {
            end()
            controller.close()
          } else controller.enqueue(value)
        } catch (error) {
          end(error)
          controller.error(error)
        }
      },
      cancel(reason) {
        end()
        return reader ? reader.cancel(reason) : body.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  const pump = toChunkPump(body)
  if (!pump) return wrapped
  const tracedPump: ChunkPump = (write) => {
    // A failed write is the client leaving (as a cancel is on the stream path): not an error of ours.
    let clientGone = false
    const watchedWrite = (chunk: Uint8Array) =>
      write(chunk).catch((error: unknown) => {
        clientGone = true
        throw error
      })
    return pump(watchedWrite).then(
      () => end(),
      (error: unknown) => {
        end(clientGone ? undefined : error)
        throw error
      },
    )
  }
  return Object.assign(wrapped, { [CHUNK_PUMP]: tracedPump })
}
