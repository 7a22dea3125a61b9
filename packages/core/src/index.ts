export type {
  StorageDriver,
  DriverCapabilities,
  WriteState,
  OperationOptions,
  PutOptions,
  ReadOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  StoredObject,
} from './driver/storage-driver.js'
export { DriverError, isDriverError, type DriverErrorKind } from './driver/driver-error.js'
export { createMemoryDriver, type MemoryDriverOptions } from './driver/memory-driver.js'
export { createAllowAllAuth, toScope, type AuthHooks, type Access, type Action, type Identity, type ChallengeReason } from './auth/auth-hooks.js'
export type { RegistryEvent, RegistryEventAction, RegistryEventListener, RegistryEvents } from './events.js'
