import { createRegistry, type Registry, type RegistryOptions } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { createS3Driver, type S3DriverOptions } from '../../../src/index.js'
import { testDriverOptions, uniquePrefix } from '../../support/s3-server.js'

/** A registry on the test radosgw, in this process, served over a real loopback port. */
export interface S3Registry {
  registry: Registry
  server: RunningRegistry
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** `127.0.0.1:<port>`, as image references want it. */
  address: string
  /** The key prefix inside the test bucket where this registry keeps everything. */
  prefix: string
  close(): Promise<void>
}

/** Options of {@link startS3Registry}. */
export interface StartS3RegistryOptions {
  /** Names the registry's key prefix (a fresh `test/<name>-<random>`), so registries never share keys. */
  name: string
  /** Registry options besides storage (e.g. `redirect`, `deleteEnabled`). */
  registry?: Omit<RegistryOptions, 'storage'>
  /** Driver options besides connection and prefix (e.g. `redirect`, `partSize`). */
  driver?: Partial<S3DriverOptions>
}

/**
 * Starts createRegistry + createS3Driver (on the test bucket, under a fresh prefix) + startRegistry.
 * Unexpected registry errors fail loudly in the test output instead of hiding behind a bare 500.
 */
export async function startS3Registry(options: StartS3RegistryOptions): Promise<S3Registry> {
  const prefix = uniquePrefix(options.name)
  const storage = createS3Driver(testDriverOptions({ prefix, ...options.driver }))
  const registry = createRegistry({
    storage,
    onError: (error, request) => console.error(`registry error on ${request.method} ${request.url}:`, error),
    ...options.registry,
  })
  const server = await startRegistry(registry)
  return {
    registry,
    server,
    url: server.url,
    address: server.address,
    prefix,
    async close() {
      server.server.closeAllConnections()
      await server.close()
      await registry.close()
    },
  }
}
