import { createHash } from 'node:crypto'
import { createRegistry, type Registry, type RegistryOptions, type StorageDriver } from '@wharf/core'

/** Sends `path` to a registry in process. */
export function call(registry: Registry, path: string, init?: RequestInit): Promise<Response> {
  return registry.fetch(new Request(`http://registry.test${path}`, init))
}

/** A registry on `storage` with the given options. */
export function registryOn(storage: StorageDriver, options: Partial<RegistryOptions> = {}): Registry {
  return createRegistry({ storage, ...options })
}

/** Wraps a driver, counting calls per method (and the keys `read` was asked for). */
export function countingDriver(inner: StorageDriver): StorageDriver & { calls: Record<string, number>; reads: string[] } {
  const calls: Record<string, number> = {}
  const reads: string[] = []
  const wrapped = Object.create(null) as StorageDriver & { calls: Record<string, number>; reads: string[] }
  for (const [name, value] of Object.entries(inner)) {
    ;(wrapped as unknown as Record<string, unknown>)[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            calls[name] = (calls[name] ?? 0) + 1
            if (name === 'read') reads.push(String(args[0]))
            return (value as (...a: unknown[]) => unknown).apply(inner, args)
          }
        : value
  }
  wrapped.calls = calls
  wrapped.reads = reads
  return wrapped
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}
