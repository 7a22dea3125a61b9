import { randomUUID } from 'node:crypto'
import type { RegistryEvent } from '@wharf/core'

/** The media type of registry:2's notification envelopes. */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json'

/** The HTTP request an event came from, as the server saw it. */
export interface EventRequest {
  id: string
  /** Client address, `ip:port`. */
  addr: string
  /** The Host header. */
  host: string
  /** `http` or `https`. */
  scheme: string
}

/** The registry instance that sends the events. */
export interface EventSource {
  /** `hostname:port` of this instance. */
  addr: string
  instanceID: string
}

/** One event of a registry:2 envelope (`{"events":[…]}`), field for field. */
export interface EnvelopeEvent {
  id: string
  timestamp: string
  action: string
  target: {
    mediaType?: string
    size?: number
    digest?: string
    length?: number
    repository: string
    fromRepository?: string
    url?: string
    tag?: string
  }
  request: { id: string; addr: string; host: string; method: string; useragent: string }
  actor: { name?: string }
  source: EventSource
}

/**
 * A core event as registry:2 sends it: blobs carry `application/octet-stream` as their media type
 * and `length` repeats `size` (as registry:2 does); `url` points at the blob or manifest by digest,
 * under `baseUrl` (http.host) or else the request's own scheme and host; an anonymous actor has no
 * name.
 */
export function toEnvelopeEvent(event: RegistryEvent, request: EventRequest | undefined, source: EventSource, baseUrl?: string): EnvelopeEvent {
  const { target } = event
  const mediaType = target.mediaType ?? (target.kind === 'blob' && event.action !== 'delete' ? 'application/octet-stream' : undefined)
  const base = baseUrl ?? (request ? `${request.scheme}://${request.host}` : undefined)
  const url = base && target.digest && event.action !== 'delete' ? `${base}/v2/${event.repository}/${target.kind === 'blob' ? 'blobs' : 'manifests'}/${target.digest}` : undefined
  // Built in registry:2's field order, so captured payloads compare easily.
  const envelopeTarget: EnvelopeEvent['target'] = {
    ...(mediaType ? { mediaType } : {}),
    ...(target.size !== undefined ? { size: target.size } : {}),
    ...(target.digest ? { digest: target.digest } : {}),
    ...(target.size !== undefined ? { length: target.size } : {}),
    repository: event.repository,
    ...(target.from ? { fromRepository: target.from } : {}),
    ...(url ? { url } : {}),
  }
  if (target.tag) envelopeTarget.tag = target.tag
  return {
    id: randomUUID(),
    timestamp: event.timestamp.toISOString(),
    action: event.action,
    target: envelopeTarget,
    request: {
      id: request?.id ?? '',
      addr: request?.addr ?? '',
      host: request?.host ?? '',
      method: event.request.method,
      useragent: event.request.userAgent ?? '',
    },
    actor: event.actor.anonymous ? {} : { name: event.actor.subject },
    source,
  }
}
