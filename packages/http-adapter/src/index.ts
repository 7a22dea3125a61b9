export { toNodeListener, toWebRequest, writeWebResponse, type FetchHandler, type NodeListenerOptions } from './node-listener.js'
export { startRegistry, type StartRegistryOptions, type RunningRegistry } from './start-registry.js'
export { toFetchHandler, type FetchHandlerOptions, type RegistryFetchHandler } from './fetch.js'
export { isRegistryPath } from './registry-path.js'
