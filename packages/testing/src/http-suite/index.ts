import { afterAll, beforeAll, describe } from 'vitest'
import { blobTests } from './base-and-blobs.js'
import type { RegistryClient, StartRegistryClient } from './client.js'
import { listingTests } from './listings.js'
import { deletionDisabledTests, manifestTests } from './manifests.js'
import { uploadTests } from './uploads.js'

export * from './client.js'

/**
 * The registry's HTTP test suite: every /v2 endpoint and error path, run against a registry reached
 * through `start` — in process through `registry.fetch`, or over a real port through any adapter.
 */
export function describeRegistrySuite(name: string, start: StartRegistryClient): void {
  describe(`registry HTTP suite: ${name}`, () => {
    let client: RegistryClient
    let noDelete: RegistryClient
    beforeAll(async () => {
      client = await start({})
      noDelete = await start({ deleteEnabled: false })
    })
    afterAll(async () => {
      await client?.close()
      await noDelete?.close()
    })
    blobTests(() => client)
    uploadTests(() => client)
    manifestTests(() => client)
    listingTests(() => client)
    deletionDisabledTests(() => noDelete)
  })
}
