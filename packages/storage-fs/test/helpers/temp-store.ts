import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { createFsDriver, type FsDriver, type FsDriverOptions } from '@wharf/storage-fs'

/** A fresh store in a temp directory for the calling test file, removed afterwards. */
export function useTempStore(options: Omit<FsDriverOptions, 'root'> = {}): { driver: () => FsDriver; root: () => string } {
  let root = ''
  let driver: FsDriver | undefined
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-fs-test-'))
    driver = createFsDriver({ root, ...options })
  })
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true })
  })
  return { driver: () => driver!, root: () => root }
}

export const text = (s: string) => new TextEncoder().encode(s)
export const decode = (b: Uint8Array) => new TextDecoder().decode(b)

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Descriptors this process holds open on files whose path contains `fragment` (Linux /proc). */
export async function openDescriptors(fragment: string): Promise<number> {
  let count = 0
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '')
    if (target.includes(fragment)) count++
  }
  return count
}
