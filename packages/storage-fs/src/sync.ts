import { open, mkdir } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { errorCode, isMissing } from './errors.js'

/** Prefix of the temporary files of `put`: a dot-file, so never listed as a key. */
export const TEMP_PREFIX = '.tmp-'

/**
 * Makes a rename, link or unlink in `dir` durable (fsync of the directory itself). Filesystems
 * that cannot fsync a directory are tolerated; a directory removed meanwhile needs no syncing.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (error) {
    const code = errorCode(error)
    if (!(isMissing(error) || code === 'EINVAL' || code === 'EISDIR' || code === 'EPERM' || code === 'ENOTSUP')) throw error
  } finally {
    await handle?.close()
  }
}

/**
 * Creates a new empty file named `.tmp-<uuid>` in `dir` (created when missing) and opens it for
 * writing. The name is unique, so concurrent writers never share a temp file.
 */
export async function createTempFile(dir: string): Promise<{ path: string; handle: FileHandle }> {
  const path = join(dir, `${TEMP_PREFIX}${randomUUID()}`)
  for (let attempt = 1; ; attempt++) {
    try {
      return { path, handle: await open(path, 'wx') }
    } catch (error) {
      if (!isMissing(error) || attempt >= 5) throw error
    }
    await ensureDir(dir, attempt >= 5)
  }
}

/**
 * `mkdir -p dir`. A concurrent delete removes directories it leaves empty, so a directory may vanish
 * between being created and being used (or mid-way through `mkdir -p`): callers retry, and this
 * swallows such a race unless `final`.
 */
export async function ensureDir(dir: string, final = false): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    if (!isMissing(error) || final) throw error
  }
}

/** Writes all of `data` at `position` (a write may be short, e.g. near a full disk). */
export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done)
    done += bytesWritten
  }
}
