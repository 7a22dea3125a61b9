import type { Logger } from 'pino'
import { readVersion } from './version.js'

/** Environment variables, as `process.env` gives them. */
export type Environment = Readonly<Record<string, string | undefined>>

/** The OpenTelemetry SDK the server started: where spans go, and how to flush them at shutdown. */
export interface TracingSdk {
  /** The exporters in use (`otlp`, `console`). */
  readonly exporters: readonly string[]
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>
}

const SUPPORTED_EXPORTERS = new Set(['otlp', 'console'])

/**
 * Whether the environment asks for tracing, as registry:3 reads it: `OTEL_TRACES_EXPORTER` set to
 * anything but `none`, or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) without `OTEL_TRACES_EXPORTER`. `OTEL_SDK_DISABLED=true`
 * wins over both.
 */
export function isTracingRequested(env: Environment): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false
  const exporters = env['OTEL_TRACES_EXPORTER']?.trim()
  if (exporters) return exporters.toLowerCase() !== 'none'
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim())
}

/**
 * Starts the OpenTelemetry trace SDK from the standard `OTEL_*` variables when
 * {@link isTracingRequested}, else does nothing and loads nothing (the SDK is imported here, on
 * demand, so a server without tracing pays no start time or memory for it). Registers it globally
 * (tracer provider, AsyncLocalStorage context manager, W3C trace-context propagator), which is where
 * `@wharf/core`'s request and storage spans go.
 *
 * - `OTEL_TRACES_EXPORTER`: comma-separated `otlp` (default) and/or `console`; others are warned
 *   about and skipped (as the OpenTelemetry spec asks).
 * - `otlp` sends OTLP/HTTP JSON to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` (default `http://localhost:4318`), with
 *   `OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT` etc., read by the exporter itself; batched per
 *   `OTEL_BSP_*`. `console` writes each span to stdout when it ends.
 * - `OTEL_SERVICE_NAME` (default `wharf`) and `OTEL_RESOURCE_ATTRIBUTES` name the resource;
 *   `OTEL_TRACES_SAMPLER` / `…_ARG` choose the sampler (default parent-based always-on).
 */
export async function startTracingSdk(env: Environment, logger: Logger): Promise<TracingSdk | undefined> {
  if (!isTracingRequested(env)) return undefined
  const requested = (env['OTEL_TRACES_EXPORTER']?.trim() || 'otlp').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean)
  const exporters = requested.filter((name) => SUPPORTED_EXPORTERS.has(name))
  const unsupported = requested.filter((name) => !SUPPORTED_EXPORTERS.has(name) && name !== 'none')
  if (unsupported.length > 0) logger.warn({ exporters: unsupported }, 'OTEL_TRACES_EXPORTER: wharf exports traces with otlp (OTLP/HTTP JSON) or console only; ignored the others')
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']?.trim() || env['OTEL_EXPORTER_OTLP_PROTOCOL']?.trim()
  if (exporters.includes('otlp') && protocol && protocol !== 'http/json') {
    logger.warn({ protocol }, 'OTEL_EXPORTER_OTLP_PROTOCOL: wharf sends OTLP over HTTP as JSON (http/json), which OTLP/HTTP receivers accept')
  }
  if (exporters.length === 0) return undefined

  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter }, { defaultResource, detectResources, envDetector, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ])
  const spanProcessors = []
  for (const name of exporters) {
    if (name === 'otlp') {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
      spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()))
    } else {
      spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()))
    }
  }
  // Later merges win: the SDK's defaults, then wharf's name, then what the environment says.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'wharf', 'service.version': readVersion() }))
    .merge(detectResources({ detectors: [envDetector] }))
  const provider = new NodeTracerProvider({ resource, spanProcessors })
  provider.register()
  logger.info({ exporters, endpoint: toEndpoint(env, exporters), serviceName: resource.attributes['service.name'] }, 'tracing with OpenTelemetry')
  return { exporters, shutdown: () => provider.shutdown() }
}

/** Where OTLP spans go (for the log line only; the exporter reads the variables itself). */
function toEndpoint(env: Environment, exporters: readonly string[]): string | undefined {
  if (!exporters.includes('otlp')) return undefined
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim()
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || 'http://localhost:4318'
  const endpoint = traces || `${base.replace(/\/$/, '')}/v1/traces`
  if (!URL.canParse(endpoint)) return endpoint
  // Never log credentials a URL might carry.
  const url = new URL(endpoint)
  return `${url.origin}${url.pathname}`
}
