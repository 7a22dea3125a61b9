import { createUpstreamAuth, parseChallenge, UpstreamAuthError } from './upstream-auth.js'

/** Why an upstream request failed, as reported in `upstream-error` events. */
export type UpstreamFailure = 'unavailable' | 'timeout' | 'auth' | 'digest-mismatch' | 'too-large' | 'invalid' | `status-${number}`

/** An upstream request that did not produce a usable answer (anything but 2xx, 304 and 404), or content that failed its checks. */
export class UpstreamError extends Error {
  constructor(readonly reason: UpstreamFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** An upstream answer whose body, if read through {@link UpstreamAnswer.chunks}, is guarded by the idle timeout. */
export interface UpstreamAnswer {
  status: number
  headers: Headers
  /** The body, each pause longer than the idle timeout ending it with an `UpstreamError('timeout')`. */
  chunks(): AsyncGenerator<Uint8Array>
  /** Gives the body up (closes the upstream connection). */
  discard(): void
}

/** Options of {@link createUpstreamClient}. */
export interface UpstreamClientOptions {
  url: string
  username?: string
  password?: string
  timeoutMs: number
  idleTimeoutMs: number
  fetch: typeof fetch
}

/** Requests to one upstream registry, authenticated as it asks. */
export interface UpstreamClient {
  /**
   * `method` on `path` (`/v2/...`) with pull access to `repository` (the upstream's name). Resolves
   * with any 2xx, 304 or 404 answer; rejects with an {@link UpstreamError} otherwise.
   */
  request(method: 'GET' | 'HEAD', path: string, repository: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<UpstreamAnswer>
}

const MAX_REDIRECTS = 5

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const base = new URL(options.url.endsWith('/') ? options.url.slice(0, -1) : options.url)
  const auth = createUpstreamAuth({ fetch: options.fetch, ...(options.username === undefined ? {} : { username: options.username }), ...(options.password === undefined ? {} : { password: options.password }) })

  /** Follows redirects by hand so that `Authorization` is sent to the upstream's own origin only. */
  async function send(method: string, url: URL, headers: Record<string, string>, authorization: string | undefined, signal: AbortSignal): Promise<Response> {
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === base.origin
      const response = await options.fetch(url, {
        method,
        headers: { ...headers, ...(authorization && sameOrigin ? { Authorization: authorization } : {}) },
        redirect: 'manual',
        signal,
      })
      const location = response.status >= 300 && response.status < 400 && response.status !== 304 ? response.headers.get('location') : null
      if (!location || hop >= MAX_REDIRECTS) return response
      await response.body?.cancel()
      url = new URL(location, url)
    }
  }

  return {
    async request(method, path, repository, headers = {}, signal) {
      const scope = `repository:${repository}:pull`
      const controller = new AbortController()
      const abort = () => controller.abort(signal?.reason)
      signal?.addEventListener('abort', abort, { once: true })
      let timedOut = false
      let timer = setTimeout(() => {
        timedOut = true
        controller.abort()
      }, options.timeoutMs)
      const fail = (error: unknown): never => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
        if (error instanceof UpstreamError) throw error
        if (error instanceof UpstreamAuthError) throw new UpstreamError('auth', error.message, { cause: error })
        if (timedOut) throw new UpstreamError('timeout', `the upstream did not answer within ${options.timeoutMs} ms`, { cause: error })
        throw new UpstreamError('unavailable', `the upstream cannot be reached: ${(error as Error)?.message ?? String(error)}`, { cause: error })
      }
      let response: Response
      try {
        const url = new URL(base.pathname.replace(/\/$/, '') + path, base)
        let sent = auth.header(scope)
        response = await send(method, url, headers, sent, controller.signal)
        if (response.status === 401) {
          await response.body?.cancel()
          if (await auth.answer(parseChallenge(response.headers.get('www-authenticate')), scope, sent, controller.signal)) {
            sent = auth.header(scope)
            response = await send(method, url, headers, sent, controller.signal)
          }
        }
      } catch (error) {
        return fail(error)
      }
      clearTimeout(timer)
      const ok = (response.status >= 200 && response.status < 300) || response.status === 304 || response.status === 404
      if (!ok) {
        await response.body?.cancel().catch(() => undefined)
        return fail(new UpstreamError(response.status === 401 || response.status === 403 ? 'auth' : `status-${response.status}`, `the upstream answered ${response.status}`))
      }
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
      }
      return {
        status: response.status,
        headers: response.headers,
        discard() {
          done()
          response.body?.cancel().catch(() => undefined)
        },
        async *chunks() {
          if (!response.body) return done()
          const reader = response.body.getReader()
          const arm = () => {
            clearTimeout(timer)
            timer = setTimeout(() => {
              timedOut = true
              controller.abort()
            }, options.idleTimeoutMs)
          }
          try {
            for (;;) {
              arm()
              const { done: end, value } = await reader.read()
              if (end) return
              yield value
            }
          } catch (error) {
            if (timedOut) throw new UpstreamError('timeout', `the upstream body paused for more than ${options.idleTimeoutMs} ms`, { cause: error })
            throw new UpstreamError('unavailable', `the upstream body failed: ${(error as Error)?.message ?? String(error)}`, { cause: error })
          } finally {
            done()
            reader.releaseLock()
            if (!controller.signal.aborted) controller.abort()
          }
        },
      }
    },
  }
}
