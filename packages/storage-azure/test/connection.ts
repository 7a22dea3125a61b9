import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import type { AzureDriverOptions } from '../src/index.js'

/** A fresh container name, so test files never see each other's objects. */
export const freshContainer = (label: string) => `${label}-${randomBytes(4).toString('hex')}`

/** Driver options for the endpoint the global setup started (or was given), with the shared key. */
export function keyOptions(container: string, extra: Partial<AzureDriverOptions> = {}): AzureDriverOptions {
  return {
    container,
    endpoint: inject('azureEndpoint'),
    accountName: inject('azureAccountName'),
    accountKey: inject('azureAccountKey'),
    createContainer: true,
    ...extra,
  }
}

/** A plain SDK client on the same account, to look behind the driver (block lists, raw blobs). */
export function sdkService(): BlobServiceClient {
  return new BlobServiceClient(
    inject('azureEndpoint'),
    new StorageSharedKeyCredential(inject('azureAccountName'), inject('azureAccountKey')),
  )
}
