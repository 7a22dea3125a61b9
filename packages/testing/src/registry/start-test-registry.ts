import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryDriver, createRegistry, type Registry, type RegistryOptions, type StorageDriver } from '@wharf/core'
import { startRegistry } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { deleteImage, imageExists, pushImage, resolveImage, type PushedImage } from './image-client.js'
import type { TinyImageOptions } from './tiny-image.js'

/** Options of {@link startTestRegistry}. */
export interface TestRegistryOptions {
  /**
   * Where images are kept: `'memory'` (default), `'temp-dir'` (a fresh directory removed by
   * `stop()`), `{ directory }` (kept after `stop()`), or any storage driver of your own.
   */
  storage?: 'memory' | 'temp-dir' | { directory: string } | StorageDriver
  /** Passed to `createRegistry` (auth hooks, events, `deleteEnabled`, ...). */
  registry?: Omit<RegistryOptions, 'storage'>
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: an ephemeral port. */
  port?: number
}

/**
 * A registry on a real port for one test file, shaped like testcontainers' registry module: its
 * address for image references, and the few image operations a test needs.
 */
export interface TestRegistry {
  /** `http://host:port`, no trailing slash. */
  url: string
  /** `host:port`, as image references and `skopeo --dest-tls-verify=false docker://...` want it. */
  hostAddress: string
  /** The in-process registry (its `fetch` answers without the network). */
  registry: Registry
  /** The storage driver images are kept in. */
  storage: StorageDriver
  /** The directory of `'temp-dir'` or `{ directory }` storage. */
  directory?: string
  /** Pushes a small generated image (one gzipped-tar layer) as `repository[:tag]`. */
  pushImage(reference: string, options?: TinyImageOptions): Promise<PushedImage>
  /** True when a manifest for `repository:tag` or `repository@digest` exists. */
  imageExists(reference: string): Promise<boolean>
  /** Manifest digest of a reference, or `undefined`. */
  resolveImage(reference: string): Promise<string | undefined>
  /** Deletes the image's manifest; `false` when there was none. */
  deleteImage(reference: string): Promise<boolean>
  /** Closes the server and removes a `'temp-dir'` directory. */
  stop(): Promise<void>
}

async function toStorage(storage: TestRegistryOptions['storage']): Promise<{ driver: StorageDriver; directory?: string; owned: boolean }> {
  if (storage === undefined || storage === 'memory') return { driver: createMemoryDriver(), owned: false }
  if (storage === 'temp-dir') {
    const directory = await mkdtemp(join(tmpdir(), 'wharf-test-registry-'))
    return { driver: createFsDriver({ root: directory }), directory, owned: true }
  }
  if ('directory' in storage) return { driver: createFsDriver({ root: storage.directory }), directory: storage.directory, owned: false }
  return { driver: storage, owned: false }
}

/**
 * Starts a wharf registry on node:http for a test: in memory by default, or on a temporary
 * directory. Pair it with `afterAll(() => registry.stop())`.
 */
export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const { driver, directory, owned } = await toStorage(options.storage)
  const registry = createRegistry({ ...options.registry, storage: driver })
  const running = await startRegistry(registry, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  return {
    url: running.url,
    hostAddress: running.address,
    registry,
    storage: driver,
    ...(directory === undefined ? {} : { directory }),
    pushImage: (reference, imageOptions) => pushImage(running.url, reference, imageOptions),
    imageExists: (reference) => imageExists(running.url, reference),
    resolveImage: (reference) => resolveImage(running.url, reference),
    deleteImage: (reference) => deleteImage(running.url, reference),
    async stop() {
      await running.close()
      if (owned && directory !== undefined) await rm(directory, { recursive: true, force: true })
    },
  }
}
