export {
  toNodeListener,
  toWebRequest,
  writeWebResponse,
  writeRegistryResponse,
  DEFAULT_BODY_IDLE_TIMEOUT_MS,
  type FetchHandler,
  type NodeListenerOptions,
} from './node-listener.js'
export { toRegistryRequest, toRequestUrl } from './node-registry-request.js'
export { startRegistry, type StartRegistryOptions, type RunningRegistry } from './start-registry.js'
export { applyServerLimits, toHttpServerOptions, DEFAULT_MAX_HEADER_BYTES, DEFAULT_HEADERS_TIMEOUT_MS, type ServerLimits } from './server-limits.js'
export { toFetchHandler, type FetchHandlerOptions, type RegistryFetchHandler } from './fetch.js'
export { isRegistryPath } from './registry-path.js'
export { toTargetPath } from './request-target.js'
export { isHostHeader } from './host-header.js'
