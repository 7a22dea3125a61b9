import { randomBytes } from 'node:crypto'
import type { ContainerClient } from '@azure/storage-blob'
import { DriverError, type OperationOptions, type WriteState } from '@wharf/core'
import { toAzureStatus, toDriverError } from './azure-errors.js'

/** Azure's limit on committed blocks per block blob. */
export const MAX_BLOCKS = 50_000
/** Azure's limit on one staged block (service versions since 2019-12-12). */
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024
/** Default block size: memory per write is about this; 50,000 of them make ~390 GiB. */
export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024

/**
 * The JSON state of a resumable write on Azure: the blob it becomes, the bytes acknowledged, and,
 * per acknowledged append, a random id and how many blocks it staged. Block ids are derived from
 * those (see {@link toBlockId}), so the state stays a few dozen bytes per append however large the
 * blob, and any process holding it can stage the next blocks or commit.
 */
export interface AzureWriteState extends WriteState {
  readonly appends: ReadonlyArray<{ readonly id: string; readonly blocks: number }>
}

const APPEND_ID = /^[0-9a-f]{16}$/

/**
 * The block id of block `index` of the append `appendId`: base64 of 16 hex digits and an 8-digit
 * decimal index, so every id of every write is 24 bytes before encoding (Azure requires all block ids
 * of a blob to have the same length) and 32 characters after, without padding.
 *
 * Ids are unique per append, not per offset: two processes appending from the same state (a replay,
 * or a race the session record later settles) never overwrite each other's blocks, and the list
 * that gets committed is exactly the acknowledged state's, so an abandoned append's blocks are
 * simply left out (Azure discards uncommitted blocks at commit).
 */
export function toBlockId(appendId: string, index: number): string {
  return Buffer.from(`${appendId}${String(index).padStart(8, '0')}`, 'latin1').toString('base64')
}

/** The ordered block list a state commits. */
export function toBlockList(state: AzureWriteState): string[] {
  return state.appends.flatMap((a) => Array.from({ length: a.blocks }, (_, i) => toBlockId(a.id, i)))
}

/** Checks a state that came back from JSON; throws `invalid` for anything this driver did not produce. */
export function toAzureWriteState(state: WriteState): AzureWriteState {
  const appends = (state as { appends?: unknown }).appends
  const ok =
    typeof state.key === 'string' &&
    state.key !== '' &&
    Number.isSafeInteger(state.size) &&
    state.size >= 0 &&
    Array.isArray(appends) &&
    appends.every(
      (a: unknown) =>
        typeof a === 'object' &&
        a !== null &&
        APPEND_ID.test(String((a as { id?: unknown }).id)) &&
        Number.isInteger((a as { blocks?: unknown }).blocks) &&
        ((a as { blocks: number }).blocks) > 0,
    )
  if (!ok) throw new DriverError('invalid', 'not a write state of the Azure driver', { driver: 'azure' })
  return state as AzureWriteState
}

/** The resumable-write half of the driver, on staged blocks of the final blob. */
export interface BlockWrites {
  startWrite(key: string): Promise<AzureWriteState>
  appendWrite(state: WriteState, data: AsyncIterable<Uint8Array>, options?: OperationOptions): Promise<AzureWriteState>
  finishWrite(state: WriteState, options?: OperationOptions): Promise<void>
  abortWrite(state: WriteState, options?: OperationOptions): Promise<void>
}

/**
 * Resumable writes as Azure block blobs: every append stages blocks (`Put Block`) directly on the
 * final blob name, where uncommitted blocks are invisible to reads and listings; `finishWrite`
 * commits the state's block list (`Put Block List`), which references the staged bytes without
 * copying them, so it takes the same time for 1 KiB and 100 GiB.
 */
export function createBlockWrites(
  container: ContainerClient,
  toBlobName: (key: string) => string,
  blockSize: number,
  ready: () => Promise<void>,
): BlockWrites {
  const blobOf = (key: string) => container.getBlockBlobClient(toBlobName(key))

  return {
    async startWrite(key) {
      // Nothing to create on Azure: the first staged block brings the (uncommitted) blob into being.
      return { key, size: 0, appends: [] }
    },

    async appendWrite(raw, data, options = {}) {
      const state = toAzureWriteState(raw)
      await ready()
      const blob = blobOf(state.key)
      const appendId = randomBytes(8).toString('hex')
      const used = state.appends.reduce((n, a) => n + a.blocks, 0)
      const block = createBlockBuffer(blockSize)
      let blocks = 0
      let added = 0

      const stage = async () => {
        if (used + blocks >= MAX_BLOCKS) {
          throw new DriverError('invalid', `${state.key}: a blob holds at most ${MAX_BLOCKS} blocks of up to ${blockSize} bytes`, { driver: 'azure' })
        }
        const body = block.take()
        try {
          await blob.stageBlock(toBlockId(appendId, blocks), body, body.length, { abortSignal: options.signal })
        } catch (error) {
          throw toDriverError(error, `stage block of ${state.key}`)
        }
        blocks += 1
        added += body.length
      }

      for await (const chunk of data) {
        let at = 0
        while (at < chunk.length) {
          at += block.fill(chunk, at)
          // The buffer is reused for the next block only after Azure acknowledged this one.
          if (block.full) await stage()
        }
      }
      if (block.length > 0) await stage()
      if (blocks === 0) return state
      return { key: state.key, size: state.size + added, appends: [...state.appends, { id: appendId, blocks }] }
    },

    async finishWrite(raw, options = {}) {
      const state = toAzureWriteState(raw)
      await ready()
      try {
        // An empty list commits an empty blob: an empty upload finishes as an empty object.
        await blobOf(state.key).commitBlockList(toBlockList(state), { abortSignal: options.signal })
      } catch (error) {
        if (toAzureStatus(error).code === 'InvalidBlockList') {
          throw new DriverError('not-found', `${state.key}: staged blocks are gone (write aborted, or idle for 7 days)`, {
            cause: error,
            driver: 'azure',
          })
        }
        throw toDriverError(error, `commit ${state.key}`)
      }
    },

    async abortWrite(raw, options = {}) {
      const state = toAzureWriteState(raw)
      await ready()
      const blob = blobOf(state.key)
      // Azure has no call that drops uncommitted blocks, and Delete Blob on a blob that has only
      // uncommitted blocks is not documented to free them. Committing an empty block list does
      // (uncommitted blocks not in a committed list are discarded), so: commit an empty blob, but
      // only if no blob exists there (If-None-Match: *), then delete exactly that empty blob
      // (If-Match). A committed blob already at the key is left alone: it is either this write,
      // finished (a blob record may already point at it), or an object this write never owned.
      let etag: string | undefined
      try {
        etag = (await blob.commitBlockList([], { conditions: { ifNoneMatch: '*' }, abortSignal: options.signal })).etag
      } catch (error) {
        const failure = toDriverError(error, `abort ${state.key}`)
        if (failure.kind === 'precondition-failed') return
        throw failure
      }
      try {
        await blob.deleteIfExists({ conditions: { ifMatch: etag }, abortSignal: options.signal })
      } catch (error) {
        const failure = toDriverError(error, `abort ${state.key}`)
        // Someone replaced the empty blob in between: it is theirs now.
        if (failure.kind === 'precondition-failed') return
        throw failure
      }
    },
  }
}

/**
 * Collects a stream's chunks into blocks of exactly `size` bytes (the last one shorter). It grows
 * by doubling from 64 KiB, so a tiny append does not allocate a whole block, and is reused from one
 * block to the next: memory per append stays at about one block whatever the amount of data.
 */
function createBlockBuffer(size: number) {
  let buffer = Buffer.allocUnsafe(Math.min(size, 64 * 1024))
  let length = 0
  return {
    get length() {
      return length
    },
    get full() {
      return length === size
    },
    /** Copies as much of `chunk` from `from` as fits; returns how many bytes it took. */
    fill(chunk: Uint8Array, from: number): number {
      const take = Math.min(chunk.length - from, size - length)
      if (length + take > buffer.length) {
        let grown = buffer.length
        while (grown < length + take) grown *= 2
        const next = Buffer.allocUnsafe(Math.min(grown, size))
        buffer.copy(next, 0, 0, length)
        buffer = next
      }
      buffer.set(chunk.subarray(from, from + take), length)
      length += take
      return take
    },
    /** The bytes collected so far, valid until the next `fill`; empties the buffer. */
    take(): Buffer {
      const out = buffer.subarray(0, length)
      length = 0
      return out
    },
  }
}
