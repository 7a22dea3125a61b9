import { join } from 'node:path'
import { DriverError, type WriteState } from '@wharf/core'
import { toKeySegments } from './key-paths.js'

/** Directory (under the root) of the staged files of resumable writes: a dot-dir, never listed. */
export const WRITES_DIR = '.writes'

/**
 * The fs driver's resumable-write state, plain JSON: the target key, the bytes acknowledged so far,
 * and the staged file relative to the root (so processes that mount the store at different paths
 * can continue each other's writes).
 */
export interface FsWriteState extends WriteState {
  readonly tempPath: string
}

const TEMP_PATH = /^\.writes\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * Checks a state that came back from storage (an upload session record) before it is used to
 * build a path: a tampered or corrupt record must never make the driver write outside
 * `.writes/<uuid>` or at a bogus offset. Throws `invalid`.
 */
export function toFsWriteState(state: WriteState): FsWriteState {
  const candidate = state as Partial<FsWriteState> | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.tempPath !== 'string' ||
    !TEMP_PATH.test(candidate.tempPath) ||
    typeof candidate.size !== 'number' ||
    !Number.isSafeInteger(candidate.size) ||
    candidate.size < 0 ||
    typeof candidate.key !== 'string'
  ) {
    throw new DriverError('invalid', 'not a resumable write state of the fs driver', { driver: 'fs' })
  }
  toKeySegments(candidate.key)
  return { key: candidate.key, size: candidate.size, tempPath: candidate.tempPath }
}

/** Absolute path of a write's staged file. */
export function toStagedPath(root: string, state: FsWriteState): string {
  return join(root, ...state.tempPath.split('/'))
}
