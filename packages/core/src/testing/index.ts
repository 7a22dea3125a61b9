/**
 * `@wharf/core/testing`: tools for people who write storage drivers or test against wharf.
 * It registers vitest tests, so the project using it needs vitest (4.x) installed.
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
