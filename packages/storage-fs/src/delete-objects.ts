import { readdir, rm, rmdir, unlink } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import type { OperationOptions } from '@wharf/core'
import { isMissing, toDriverError } from './errors.js'
import { toLockPath, withKeyLock } from './key-lock.js'
import { OBJECT_SUFFIX, isKeySegment, toPrefixParts } from './key-paths.js'
import { syncDir } from './sync.js'
import type { FsContext } from './fs-context.js'

/**
 * `delete`: unlinks the object's file under its key lock (so a delete cannot slip between a
 * compare-and-swap's check and its rename, which would resurrect the object), then removes the
 * directories this left empty. A missing key is not an error.
 */
export async function deleteObject(ctx: FsContext, key: string, options: OperationOptions = {}): Promise<void> {
  try {
    options.signal?.throwIfAborted()
    const path = ctx.objectPath(key)
    const dir = dirname(path)
    try {
      await withKeyLock(toLockPath(path), { ...ctx.lock, ...(options.signal ? { signal: options.signal } : {}) }, () =>
        unlink(path).catch(ignoreMissing),
      )
    } catch (error) {
      // No directory, no lock file possible: the key cannot exist.
      if (isMissing(error)) return
      throw error
    }
    await syncDir(dir)
    await removeEmptyDirs(ctx.root, dir)
  } catch (error) {
    throw toDriverError(error, `delete ${key}`)
  }
}

/**
 * `deletePrefix`: removes every object whose key starts with `prefix`: matching objects in the
 * prefix's directory are unlinked and matching subdirectories removed recursively (one `rm -rf`
 * per subtree, not one locked delete per key). A put racing with it either lands before (and is
 * removed) or recreates its directory and lands after.
 */
export async function deletePrefix(ctx: FsContext, prefix: string, options: OperationOptions = {}): Promise<void> {
  try {
    options.signal?.throwIfAborted()
    const { dir, partial } = toPrefixParts(prefix)
    const absDir = join(ctx.root, ...dir)
    let names
    try {
      names = await readdir(absDir, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    for (const dirent of names) {
      options.signal?.throwIfAborted()
      const name = dirent.name
      if (!name.startsWith(partial)) continue
      const path = join(absDir, name)
      if (dirent.isDirectory() && isKeySegment(name)) {
        await rm(path, { recursive: true, force: true, maxRetries: 3 })
      } else if (dirent.isFile() && name.endsWith(OBJECT_SUFFIX) && isKeySegment(name.slice(0, -OBJECT_SUFFIX.length))) {
        await unlink(path).catch(ignoreMissing)
      }
    }
    await syncDir(absDir)
    await removeEmptyDirs(ctx.root, absDir)
  } catch (error) {
    throw toDriverError(error, `deletePrefix ${prefix}`)
  }
}

/**
 * Best-effort `rmdir` of `dir` and its parents up to (not including) `root`, stopping at the first
 * that is not empty. Keeps the tree from filling with empty directories after deletes; a put that
 * races with it simply recreates its directory.
 */
export async function removeEmptyDirs(root: string, dir: string): Promise<void> {
  for (let current = dir; current.startsWith(root + sep) && current !== root; current = dirname(current)) {
    try {
      await rmdir(current)
    } catch {
      return
    }
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error
}
