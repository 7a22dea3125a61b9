/**
 * `@wharf/testing`: tools for people who write storage drivers, adapters, or tests against wharf.
 * The suites register tests with the project's own vitest (a peer dependency, never bundled), and
 * `@wharf/core` is a peer too, so the kit, the registry and the driver under test share one core.
 */
export { describeDriverSuite, type DriverSuiteOptions } from './driver-suite.js'
export { describeRegistrySuite, type RegistryClient, type StartRegistryClient } from './http-suite/index.js'
export * as suiteHelpers from './http-suite/client.js'
export {
  describeScaleOutSuite,
  type ScaleOutProcess,
  type ScaleOutStorageChecks,
  type ScaleOutSuiteOptions,
} from './scale-out/suite.js'
export { startChildRegistry, type ChildRegistry, type ChildRegistryOptions } from './scale-out/child-registry.js'
export * as uploadClient from './scale-out/upload-client.js'
export * from './registry/index.js'
