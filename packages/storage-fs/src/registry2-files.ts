import { open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ReadOptions, Registry2Files } from '@wharf/core'
import { DriverError } from '@wharf/core'
import { isMissing, toDriverError } from './errors.js'
import { createFileStream } from './file-stream.js'
import { isKeySegment } from './key-paths.js'
import { removeEmptyDirs } from './delete-objects.js'

/**
 * registry:2's plain files under the driver's root (`docker/registry/v2/...`, no `,` suffix): read,
 * and removed only by the garbage collector (`remove`), never written. Paths are built by the registry from validated names and checked here again, segment by
 * segment, so nothing outside the root can be reached.
 */
export function createFsRegistry2Files(root: string): Registry2Files {
  const toPath = (path: string) => {
    const segments = path.split('/')
    if (!segments.every(isKeySegment)) throw new DriverError('invalid', `invalid path ${JSON.stringify(path.slice(0, 300))}`)
    return join(root, ...segments)
  }
  return {
    async get(path) {
      try {
        return await readFile(toPath(path))
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined
        throw toDriverError(error, `get ${path}`)
      }
    },
    async size(path) {
      try {
        const info = await stat(toPath(path))
        return info.isFile() ? info.size : undefined
      } catch (error) {
        if (isMissing(error)) return undefined
        throw toDriverError(error, `stat ${path}`)
      }
    },
    async read(path, options: ReadOptions = {}) {
      try {
        const handle = await open(toPath(path), 'r')
        const size = (await handle.stat()).size
        const start = options.offset ?? 0
        const end = options.length === undefined ? size : Math.min(size, start + options.length)
        return createFileStream(handle, start, end, options.signal)
      } catch (error) {
        throw toDriverError(error, `read ${path}`)
      }
    },
    async modified(path) {
      try {
        return (await stat(toPath(path))).mtime
      } catch (error) {
        if (isMissing(error)) return undefined
        throw toDriverError(error, `stat ${path}`)
      }
    },
    async remove(path) {
      const target = toPath(path)
      try {
        await rm(target, { recursive: true, force: true, maxRetries: 3 })
      } catch (error) {
        throw toDriverError(error, `remove ${path}`)
      }
      // registry:2 recreates any directory it needs; empty ones left behind would only slow its walks.
      await removeEmptyDirs(root, dirname(target))
    },
    async *children(dir) {
      let names: string[]
      try {
        names = await readdir(toPath(dir))
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return
        throw toDriverError(error, `list ${dir}`)
      }
      for (const name of names) if (!name.startsWith('.')) yield name
    },
  }
}
