import { link, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DriverError, type PutOptions } from '@wharf/core'
import { toEtag, stampModified } from './etag.js'
import { errorCode, isMissing, toDriverError } from './errors.js'
import { toLockPath, withKeyLock } from './key-lock.js'
import { createTempFile, syncDir, writeFully } from './sync.js'
import type { FsContext } from './fs-context.js'

/**
 * `put` on a directory. The body is written to a temp dot-file beside the object, fsynced, then put
 * in place in one atomic step, so readers see the old file or the new one, never a partial one:
 * - create-only: `link(temp, path)`; the kernel refuses (EEXIST) when the path exists, which holds
 *   between processes with no lock at all.
 * - compare-and-swap and plain overwrite: under the key's lock file, compare the current ETag (for
 *   `ifMatch`) and `rename(temp, path)`. Plain overwrites take the lock too, so that an overwrite
 *   cannot slip between a compare-and-swap's check and its rename and then be silently undone.
 * The slow part (writing and fsyncing the body) happens before the lock is taken.
 */
export async function putObject(ctx: FsContext, key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
  try {
    options.signal?.throwIfAborted()
    const path = ctx.objectPath(key)
    if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*') {
      throw new DriverError('invalid', 'ifNoneMatch only supports "*"', { driver: 'fs' })
    }
    if (!(body instanceof Uint8Array)) throw new DriverError('invalid', 'put body must be a Uint8Array', { driver: 'fs' })
    // "Must not exist" and "must be this version" can never both hold.
    if (options.ifNoneMatch === '*' && options.ifMatch !== undefined) {
      throw new DriverError('precondition-failed', `${key}: ifNoneMatch and ifMatch together never match`, { driver: 'fs' })
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptPut(ctx, key, path, body, options)
      } catch (error) {
        // ENOENT before anything was committed: a concurrent deletePrefix removed the directory
        // (and our temp file with it). Start again from a fresh temp file.
        if (!isMissing(error) || attempt >= 3) throw error
      }
    }
  } catch (error) {
    throw toDriverError(error, `put ${key}`)
  }
}

async function attemptPut(ctx: FsContext, key: string, path: string, body: Uint8Array, options: PutOptions) {
  const dir = dirname(path)
  const temp = await createTempFile(dir)
  try {
    let etag: string
    try {
      await writeFully(temp.handle, body, 0)
      etag = toEtag(await stampModified(temp.handle))
      await temp.handle.sync()
    } finally {
      await temp.handle.close()
    }
    if (options.ifNoneMatch === '*') {
      await link(temp.path, path).catch((error: unknown) => {
        if (errorCode(error) === 'EEXIST') throw new DriverError('precondition-failed', `${key} exists`, { driver: 'fs' })
        throw error
      })
    } else {
      await withKeyLock(toLockPath(path), { ...ctx.lock, ...(options.signal ? { signal: options.signal } : {}) }, async () => {
        if (options.ifMatch !== undefined) {
          const current = await stat(path, { bigint: true }).catch((error: unknown) => {
            if (isMissing(error)) return undefined
            throw error
          })
          if (!current || toEtag(current) !== options.ifMatch) {
            throw new DriverError('precondition-failed', `${key} ${current ? 'changed' : 'does not exist'}`, { driver: 'fs' })
          }
        }
        await rename(temp.path, path)
      })
    }
    await syncDir(dir)
    return { etag }
  } finally {
    // After link() the temp name is a second name of the object; after rename() it is gone.
    await unlink(temp.path).catch(() => undefined)
  }
}
