import type { Digest } from '../grammar/digest.js'
import type { BlobStore } from './blob-store.js'
import type { UsageStore } from './usage-store.js'

/**
 * The blob store with usage kept up to date: after every change of a link or blob record that it
 * makes, the matching charge is reconciled (see usage-store.ts for why that is exact under races).
 * A wrapper, not code inside blob-store.ts, so that the usage rule depends only on what storage
 * holds after a change, not on how the blob store writes it.
 */
export function withUsage(blobs: BlobStore, usage: UsageStore): BlobStore {
  return {
    ...blobs,
    async commit(repository: string, digest: Digest, location) {
      const stored = await blobs.commit(repository, digest, location)
      await usage.reconcileBlob(digest)
      await usage.reconcileLink(repository, digest)
      return stored
    },
    async mount(repository: string, from: string, digest: Digest) {
      const mounted = await blobs.mount(repository, from, digest)
      if (mounted) await usage.reconcileLink(repository, digest)
      return mounted
    },
    async unlink(repository: string, digest: Digest) {
      const existed = await blobs.unlink(repository, digest)
      if (existed) await usage.reconcileLink(repository, digest)
      return existed
    },
  }
}
