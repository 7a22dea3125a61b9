/**
 * `@wharf/storage-fs`: the wharf storage driver on a local directory.
 *
 *     import { createFsDriver } from '@wharf/storage-fs'
 *     const driver = createFsDriver({ root: '/var/lib/wharf' })
 */
export { createFsDriver, type FsDriver, type FsDriverOptions } from './fs-driver.js'
export type { FsWriteState } from './write-state.js'
export type { SweepOptions } from './sweep.js'
