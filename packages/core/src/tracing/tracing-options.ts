import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api'

/**
 * Where the registry's OpenTelemetry spans go. By default the global tracer provider of
 * `@opentelemetry/api`: a no-op until the host registers an SDK (e.g. `NodeTracerProvider.register()`
 * or `NodeSDK.start()`), and then the host's. The registry never loads an SDK itself.
 */
export interface TracingOptions {
  /** A provider to use instead of the global one. Parent/child links still need the SDK's context manager. */
  tracerProvider?: TracerProvider
}

/** The instrumentation scope name of every span wharf creates. */
export const TRACER_NAME = '@wharf/core'

/**
 * The tracer for the registry's spans. With the global provider this is the API's proxy tracer,
 * which follows a provider registered later (a host may start its SDK after creating the registry).
 */
export function toTracer(options: TracingOptions = {}): Tracer {
  return (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME)
}
