import type { StorageDriver } from '@wharf/core'
import type { ReferenceRegistry } from './reference-registry2.js'
import { getManifest } from './registry2-content.js'
import type { Registry2Content } from './registry2-scenario.js'

/**
 * The digests of everything `apps/multi:v1` of {@link fillReferenceRegistry} reaches: its index,
 * child manifests, their configs and layers — what deleting that tag frees, since no other image
 * shares them (each test run has its own random layers).
 */
export async function multiArchDigests(reference: ReferenceRegistry, content: Registry2Content): Promise<string[]> {
  const index = JSON.parse((await getManifest(reference.url, 'apps/multi', 'v1')).bytes) as { manifests: { digest: string }[] }
  const digests = [content.pushed['apps/multi:v1']!]
  for (const child of index.manifests) {
    const m = JSON.parse((await getManifest(reference.url, 'apps/multi', child.digest)).bytes) as { config: { digest: string }; layers: { digest: string }[] }
    digests.push(child.digest, m.config.digest, ...m.layers.map((l) => l.digest))
  }
  return digests
}

/** registry:2's data file of a blob, relative to the storage root. */
export const registry2BlobPath = (digest: string) => `docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`

/** {@link fillReferenceRegistry}'s content without the multi-arch image (what a collection keeps). */
export const withoutMultiArch = (content: Registry2Content): Registry2Content => ({
  ...content,
  pushed: Object.fromEntries(Object.entries(content.pushed).filter(([ref]) => ref !== 'apps/multi:v1')),
})

/** Bytes of every object under registry:2's tree (`docker/`) on a driver. */
export async function registry2Bytes(storage: Pick<StorageDriver, 'list' | 'stat'>): Promise<number> {
  let total = 0
  let startAfter: string | undefined
  for (;;) {
    const page = await storage.list('docker/', { limit: 1000, ...(startAfter ? { startAfter } : {}) })
    for (const key of page.keys) total += (await storage.stat(key))?.size ?? 0
    if (!page.truncated || page.keys.length === 0) return total
    startAfter = page.keys.at(-1)
  }
}
