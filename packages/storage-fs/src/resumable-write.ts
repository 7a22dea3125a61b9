import { open, rename, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { dirname } from 'node:path'
import { DriverError, type OperationOptions, type WriteState } from '@wharf/core'
import { stampModified } from './etag.js'
import { isMissing, toDriverError } from './errors.js'
import { toLockPath, withKeyLock } from './key-lock.js'
import { toKeySegments } from './key-paths.js'
import { ensureDir, syncDir, writeFully } from './sync.js'
import { WRITES_DIR, toFsWriteState, toStagedPath, type FsWriteState } from './write-state.js'
import type { FsContext } from './fs-context.js'

/**
 * Bytes gathered before each disk write. Two such buffers per append in flight: one filling from
 * the source while the other is written, so network and disk overlap and memory stays at 2 MiB
 * whatever the upload size.
 */
const BATCH = 1024 * 1024

/**
 * Bytes written between background flushes. Appends are acknowledged only once on disk; flushing
 * while the upload is still streaming keeps the disk busy the whole time, so the final fdatasync has
 * little left to do and the upload is bounded by the disk's write rate rather than receive + flush.
 */
const FLUSH_EVERY = 16 * 1024 * 1024

/** `startWrite`: creates an empty staged file `.writes/<uuid>`; nothing appears at the key yet. */
export async function startWrite(ctx: FsContext, key: string, options: OperationOptions = {}): Promise<FsWriteState> {
  try {
    options.signal?.throwIfAborted()
    toKeySegments(key)
    const state: FsWriteState = { key, size: 0, tempPath: `${WRITES_DIR}/${randomUUID()}` }
    const path = toStagedPath(ctx.root, state)
    await ensureDir(dirname(path), true)
    await (await open(path, 'wx')).close()
    await syncDir(dirname(path))
    return state
  } catch (error) {
    throw toDriverError(error, `startWrite ${key}`)
  }
}

/**
 * `appendWrite`: writes the source's bytes at offset `state.size` of the staged file (positional
 * writes, so replaying from an older state overwrites whatever an abandoned append left there),
 * then fdatasyncs before resolving: an acknowledged size is on disk. The source's bytes are copied
 * into the driver's own buffers, so a source may reuse its buffer once it has handed it over.
 * If the source throws, its error is rethrown unchanged (after in-flight writes settle) and the old
 * state remains valid.
 */
export async function appendWrite(ctx: FsContext, state: WriteState, data: AsyncIterable<Uint8Array>, options: OperationOptions = {}): Promise<FsWriteState> {
  let sourceError: { error: unknown } | undefined
  try {
    options.signal?.throwIfAborted()
    const current = toFsWriteState(state)
    const handle = await open(toStagedPath(ctx.root, current), 'r+').catch((error: unknown) => {
      throw isMissing(error) ? new DriverError('not-found', `no resumable write ${current.tempPath}`, { driver: 'fs' }) : error
    })
    let position = current.size
    try {
      // A state claiming bytes that were never staged would leave a zero-filled hole.
      const { size: staged } = await handle.stat()
      if (staged < current.size) {
        throw new DriverError('invalid', `write state claims ${current.size} bytes, ${staged} are staged`, { driver: 'fs' })
      }
      position = await copyInto(handle, position, data, options.signal, (error) => (sourceError = { error }))
      await handle.datasync()
    } finally {
      await handle.close()
    }
    return { key: current.key, size: position, tempPath: current.tempPath }
  } catch (error) {
    if (sourceError && sourceError.error === error) throw error
    throw toDriverError(error, `appendWrite ${String(state?.key)}`)
  }
}

async function copyInto(
  handle: FileHandle,
  start: number,
  data: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
  onSourceError: (error: unknown) => void,
): Promise<number> {
  // Like `for await`, accept sync iterables too; fail cleanly on anything else.
  const iterable = data as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array>> | null
  const iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> | undefined =
    iterable?.[Symbol.asyncIterator]?.() ?? iterable?.[Symbol.iterator]?.()
  if (!iterator) throw new DriverError('invalid', 'appendWrite data must be an async iterable of Uint8Array', { driver: 'fs' })
  let position = start
  let filling: Buffer | undefined
  let spare: Buffer | undefined
  let used = 0
  let writing: Promise<void> | undefined
  let flushing: Promise<void> | undefined
  let unflushed = 0
  let sourceDone = false
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array>
      try {
        step = await iterator.next()
      } catch (error) {
        sourceDone = true
        onSourceError(error)
        throw error
      }
      if (step.done) {
        sourceDone = true
        break
      }
      signal?.throwIfAborted()
      const chunk = step.value
      if (!(chunk instanceof Uint8Array)) throw new DriverError('invalid', 'appendWrite data must yield Uint8Array chunks', { driver: 'fs' })
      for (let offset = 0; offset < chunk.length; ) {
        filling ??= Buffer.allocUnsafeSlow(BATCH)
        const take = Math.min(chunk.length - offset, BATCH - used)
        filling.set(chunk.subarray(offset, offset + take), used)
        used += take
        offset += take
        if (used < BATCH) continue
        // The previous batch must be on disk before its buffer is refilled.
        await writing
        const full = filling
        writing = writeFully(handle, full, position)
        // Handled now so that a failing write is not an unhandled rejection while we await the source.
        writing.catch(() => undefined)
        position += used
        unflushed += used
        if (unflushed >= FLUSH_EVERY && !flushing) {
          unflushed = 0
          // Wait for the batch just queued, then start writeback of everything so far.
          flushing = writing.then(() => handle.datasync()).finally(() => (flushing = undefined))
          flushing.catch(() => undefined)
        }
        filling = spare
        spare = full
        used = 0
      }
    }
    await flushing
    await writing
    if (filling && used > 0) {
      await writeFully(handle, filling.subarray(0, used), position)
      position += used
    }
    return position
  } catch (error) {
    // Never close the file under a write or flush still in flight; let the source release its resources.
    await writing?.catch(() => undefined)
    await flushing?.catch(() => undefined)
    if (!sourceDone) await Promise.resolve(iterator.return?.()).catch(() => undefined)
    throw error
  }
}

/**
 * `finishWrite`: truncates the staged file to the acknowledged size (dropping bytes of abandoned
 * appends), fsyncs it and renames it to the key's path under the key lock: a rename, never a copy,
 * so finishing costs the same for 1 byte or 10 GiB.
 */
export async function finishWrite(ctx: FsContext, state: WriteState, options: OperationOptions = {}): Promise<void> {
  try {
    options.signal?.throwIfAborted()
    const current = toFsWriteState(state)
    const staged = toStagedPath(ctx.root, current)
    const handle = await open(staged, 'r+').catch((error: unknown) => {
      throw isMissing(error) ? new DriverError('not-found', `no resumable write ${current.tempPath}`, { driver: 'fs' }) : error
    })
    try {
      const { size } = await handle.stat()
      if (size < current.size) {
        throw new DriverError('invalid', `write state claims ${current.size} bytes, ${size} are staged`, { driver: 'fs' })
      }
      await handle.truncate(current.size)
      await stampModified(handle)
      await handle.sync()
    } finally {
      await handle.close()
    }
    const path = ctx.objectPath(current.key)
    const lock = { ...ctx.lock, createDir: true, ...(options.signal ? { signal: options.signal } : {}) }
    await withKeyLock(toLockPath(path), lock, () => rename(staged, path))
    // One journal commit covers both directories the rename touched.
    await syncDir(dirname(path))
  } catch (error) {
    throw toDriverError(error, `finishWrite ${String(state?.key)}`)
  }
}

/** `abortWrite`: removes the staged file; a write already aborted (or finished) is not an error. */
export async function abortWrite(ctx: FsContext, state: WriteState, options: OperationOptions = {}): Promise<void> {
  try {
    options.signal?.throwIfAborted()
    const current = toFsWriteState(state)
    await unlink(toStagedPath(ctx.root, current)).catch((error: unknown) => {
      if (!isMissing(error)) throw error
    })
  } catch (error) {
    throw toDriverError(error, `abortWrite ${String(state?.key)}`)
  }
}
