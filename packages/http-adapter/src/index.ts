export { toNodeListener, toWebRequest, writeWebResponse, type FetchHandler, type NodeListenerOptions } from './node-listener.js'
export { startRegistry, type StartRegistryOptions, type RunningRegistry } from './start-registry.js'
