/**
 * `@wharf/storage-azure`: the wharf storage driver on Azure Blob Storage (and Azurite).
 */
export { createAzureDriver } from './azure-driver.js'
export type { AzureDriverOptions, AzureTokenCredential } from './azure-client.js'
export { toBlockId, type AzureWriteState } from './block-write.js'
