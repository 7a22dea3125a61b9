import { open, stat } from 'node:fs/promises'
import type { ObjectInfo, OperationOptions, ReadOptions, StoredObject } from '@wharf/core'
import { DriverError } from '@wharf/core'
import { statSync, type BigIntStats } from 'node:fs'
import { toEtag } from './etag.js'
import { isMissing, toDriverError } from './errors.js'
import { createFileStream } from './file-stream.js'
import type { FsContext } from './fs-context.js'

const toInfo = (stats: BigIntStats): ObjectInfo => ({
  size: Number(stats.size),
  etag: toEtag(stats),
  modified: new Date(Number(stats.mtimeMs)),
})

/**
 * `get`: the whole object with its ETag. Size, ETag and bytes come from one open file, so they
 * always belong together even if the key is replaced meanwhile (a replacement is a new file).
 */
export async function getObject(ctx: FsContext, key: string, options: OperationOptions = {}): Promise<StoredObject> {
  try {
    options.signal?.throwIfAborted()
    const handle = await open(ctx.objectPath(key), 'r')
    try {
      const stats = await handle.stat({ bigint: true })
      const body = await handle.readFile(options.signal ? { signal: options.signal } : {})
      return { ...toInfo(stats), body }
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw toDriverError(error, `get ${key}`)
  }
}

/** `stat`: size, ETag and modification time, or `undefined` when the key does not exist. */
export async function statObject(ctx: FsContext, key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
  try {
    options.signal?.throwIfAborted()
    const path = ctx.objectPath(key)
    if (ctx.syncStat) {
      const stats = statSync(path, { bigint: true, throwIfNoEntry: false })
      return stats && toInfo(stats)
    }
    return toInfo(await stat(path, { bigint: true }))
  } catch (error) {
    if (isMissing(error)) return undefined
    throw toDriverError(error, `stat ${key}`)
  }
}

/**
 * `read`: opens the file before returning (so a missing key rejects with `not-found` up front), then
 * streams the requested range from that descriptor, which stays valid even if the key is replaced
 * or deleted while the download runs.
 */
export async function readObject(ctx: FsContext, key: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
  try {
    options.signal?.throwIfAborted()
    const handle = await open(ctx.objectPath(key), 'r')
    try {
      const size = Number((await handle.stat({ bigint: true })).size)
      const start = options.offset ?? 0
      const end = options.length === undefined ? size : Math.min(size, start + options.length)
      if (!Number.isSafeInteger(start) || start < 0 || start > size || !Number.isSafeInteger(end) || end < start) {
        throw new DriverError('invalid', `range out of bounds for ${key}`, { driver: 'fs' })
      }
      return createFileStream(handle, start, end, options.signal)
    } catch (error) {
      await handle.close()
      throw error
    }
  } catch (error) {
    throw toDriverError(error, `read ${key}`)
  }
}
