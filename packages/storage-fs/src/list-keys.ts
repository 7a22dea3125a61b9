import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DriverError, type ListOptions, type ListPage } from '@wharf/core'
import { isMissing, toDriverError } from './errors.js'
import { OBJECT_SUFFIX, isKeySegment, toPrefixParts } from './key-paths.js'
import type { FsContext } from './fs-context.js'

const DEFAULT_LIMIT = 1000

/**
 * `list`: keys under `prefix` in byte order, after `startAfter`, at most `limit`.
 *
 * A depth-first walk that visits directory entries already in key order, so it can stop as soon as
 * the page is full and skip whole subdirectories that sort before `startAfter` without reading
 * them: a page costs the directories on the cursor's path plus the page itself, not the whole tree
 * under the prefix. (Sorting names per directory is not enough: `a-b` < `a/b` < `a0` in byte order
 * although the directory `a` sorts before the file `a-b`. Entries are therefore ordered by the key
 * text they stand for: a file `x,` by `x`, a directory `x` by `x/`, which keeps every subtree a
 * contiguous run of keys.) fast-glob was considered: it walks the whole tree in no particular order
 * and cannot stop early, so each page would cost the whole subtree.
 */
export async function listKeys(ctx: FsContext, prefix: string, options: ListOptions = {}): Promise<ListPage> {
  try {
    options.signal?.throwIfAborted()
    const limit = options.limit ?? DEFAULT_LIMIT
    if (!Number.isSafeInteger(limit) || limit < 1) throw new DriverError('invalid', `invalid list limit ${limit}`, { driver: 'fs' })
    const { dir, partial } = toPrefixParts(prefix)
    const keyBase = dir.length > 0 ? `${dir.join('/')}/` : ''
    const keys: string[] = []
    for await (const key of walkInKeyOrder(join(ctx.root, ...dir), keyBase, partial, options.startAfter, options.signal)) {
      if (keys.length === limit) return { keys, truncated: true }
      keys.push(key)
    }
    return { keys, truncated: false }
  } catch (error) {
    throw toDriverError(error, `list ${prefix}`)
  }
}

interface Entry {
  /** The key (file) or key prefix ending in `/` (directory) this entry stands for. */
  sortKey: string
  /** Directory name, for directories. */
  dirName?: string
}

/**
 * Yields the keys stored under `absDir` (whose keys start with `keyBase`) whose first segment
 * starts with `namePrefix`, in byte order, strictly after `startAfter`. Dot-files (temp files,
 * locks, `.writes/`) and anything not shaped like a stored object are skipped.
 */
export async function* walkInKeyOrder(
  absDir: string,
  keyBase: string,
  namePrefix: string,
  startAfter: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  signal?.throwIfAborted()
  let names
  try {
    names = await readdir(absDir, { withFileTypes: true })
  } catch (error) {
    // Missing (or removed by a concurrent delete while we walked): no keys here.
    if (isMissing(error)) return
    throw error
  }
  const entries: Entry[] = []
  for (const dirent of names) {
    const name = dirent.name
    if (!name.startsWith(namePrefix)) continue
    if (dirent.isFile() && name.endsWith(OBJECT_SUFFIX)) {
      const segment = name.slice(0, -OBJECT_SUFFIX.length)
      if (isKeySegment(segment)) entries.push({ sortKey: keyBase + segment })
    } else if (dirent.isDirectory() && isKeySegment(name)) {
      entries.push({ sortKey: `${keyBase}${name}/`, dirName: name })
    }
  }
  // Keys are ASCII, so UTF-16 code unit order (what `<` compares) is byte order.
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
  for (const entry of entries) {
    if (entry.dirName === undefined) {
      if (startAfter === undefined || entry.sortKey > startAfter) yield entry.sortKey
      continue
    }
    // Every key below starts with sortKey: if that sorts before startAfter without being a
    // prefix of it, the whole subtree sorts before startAfter.
    if (startAfter !== undefined && entry.sortKey < startAfter && !startAfter.startsWith(entry.sortKey)) continue
    yield* walkInKeyOrder(join(absDir, entry.dirName), entry.sortKey, '', startAfter, signal)
  }
}
