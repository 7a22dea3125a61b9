import { isAbsolute, resolve } from 'node:path'
import { isDriverError, type AuthHooks, type RegistryEvent, type RegistryRequest } from '@wharf/core'
import type { Logger } from 'pino'
import type { WharfConfig } from './config/config-types.js'
import type { RequestContext } from './request-context.js'

/** The context of the request being served, if any (request-listener's `currentRequest`). */
export type CurrentRequest = () => RequestContext | undefined

/**
 * Wraps auth hooks so that the authenticated identity's name lands on the request's context (the
 * access line's `user`). Anonymous identities leave it unset. Answers are unchanged.
 */
export function withIdentityRecording(auth: AuthHooks, current: CurrentRequest): AuthHooks {
  return {
    authenticate: async (request, access) => {
      const identity = await auth.authenticate(request, access)
      const context = current()
      if (context && identity && !identity.anonymous) context.user = identity.subject
      return identity
    },
    authorize: (identity, access) => auth.authorize(identity, access),
    challenge: (request, access, reason) => auth.challenge(request, access, reason),
  }
}

/** Notes on the request's context what a push or mount event stored (the access line's `digests` and `tags`) and who did it. */
export function recordEvent(event: RegistryEvent, context: RequestContext | undefined): void {
  if (!context) return
  if (!event.actor.anonymous) context.user ??= event.actor.subject
  if (event.action !== 'push' && event.action !== 'mount') return
  const { digest, tag } = event.target
  if (digest && !context.pushedDigests?.includes(digest)) (context.pushedDigests ??= []).push(digest)
  if (tag && !context.pushedTags?.includes(tag)) (context.pushedTags ??= []).push(tag)
}

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR', 'ERR_STREAM_DESTROYED'])

/** Why an unexpected error is in fact an expected condition, if it is one. */
export function toExpectedCondition(error: unknown): 'storage unavailable' | 'client gone' | undefined {
  if (isDriverError(error, 'unavailable')) return 'storage unavailable'
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  if (name === 'AbortError' || (typeof code === 'string' && CLIENT_GONE.has(code))) return 'client gone'
  return undefined
}

/**
 * The registry's `onError`: one line carrying the request id of the access line. Expected
 * conditions (storage unavailable, client gone) are a one-line warning with the message and no
 * stack; anything else is an error with the whole error.
 */
export function logRequestError(logger: Logger, error: unknown, request: RegistryRequest, context: RequestContext | undefined): void {
  const fields = { ...(context ? { reqId: context.id } : {}), method: request.method, path: new URL(request.url).pathname }
  const condition = toExpectedCondition(error)
  if (condition === undefined) return void logger.error({ ...fields, err: error }, 'request failed')
  const { code } = (error ?? {}) as { code?: unknown }
  logger.warn({ ...fields, condition, error: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) }, `request failed: ${condition}`)
}

/** Where the data is, for the start line: the absolute filesystem root, or the bucket or container. */
export function toStorageLocation(storage: WharfConfig['storage']): Record<string, string> {
  if ('filesystem' in storage) {
    const root = storage.filesystem.rootdirectory
    return { root: isAbsolute(root) ? root : resolve(root) }
  }
  if ('s3' in storage) return { bucket: storage.s3.bucket, ...(storage.s3.regionendpoint ? { endpoint: storage.s3.regionendpoint } : {}) }
  if ('azure' in storage) return { container: storage.azure.container }
  return {}
}
