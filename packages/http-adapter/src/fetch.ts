import { isRegistryPath } from './registry-path.js'
import type { FetchHandler } from './node-listener.js'

/** Options of {@link toFetchHandler}. */
export interface FetchHandlerOptions {
  /**
   * When true, requests outside `/v2` resolve to `undefined` instead of the registry's 404, so the
   * caller can hand them to its own router: `(await wharf(request)) ?? app.fetch(request)`.
   */
  fallthrough?: boolean
}

/** A Web-standard handler; resolves to `undefined` for non-registry requests when `fallthrough` is set. */
export type RegistryFetchHandler<Fallthrough extends boolean = false> = (
  request: Request,
) => Promise<Fallthrough extends true ? Response | undefined : Response>

/**
 * The registry as a plain `(request: Request) => Promise<Response>` function, for servers built on
 * Web `Request`/`Response`: Hono, Bun.serve, Deno.serve, Cloudflare-style `export default { fetch }`.
 * Bodies are the runtime's own streams, so nothing is buffered here.
 *
 * By default every request is answered (404 outside `/v2`); with `{ fallthrough: true }` requests the
 * registry does not own resolve to `undefined` without being read.
 *
 * The route is the path of `request.url` as the runtime built it: a Web `Request` arrives with its
 * URL already parsed (dot segments resolved, `\` read as `/`), and building it from the request
 * target rather than the Host header, and refusing a malformed Host, is the host server's part.
 */
export function toFetchHandler(registry: FetchHandler, options: FetchHandlerOptions & { fallthrough: true }): RegistryFetchHandler<true>
export function toFetchHandler(registry: FetchHandler, options?: FetchHandlerOptions): RegistryFetchHandler<false>
export function toFetchHandler(registry: FetchHandler, options: FetchHandlerOptions = {}): RegistryFetchHandler<boolean> {
  return async (request) => {
    if (options.fallthrough && !isRegistryPath(new URL(request.url).pathname)) return undefined
    return registry.fetch(request)
  }
}

