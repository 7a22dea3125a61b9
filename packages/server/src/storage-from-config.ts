import { createMemoryDriver, type StorageDriver } from '@wharf/core'
import type { AzureDriverOptions } from '@wharf/storage-azure'
import { createFsDriver } from '@wharf/storage-fs'
import type { S3DriverOptions } from '@wharf/storage-s3'
import { ConfigError } from './config/config-error.js'
import type { AzureStorageConfig, S3StorageConfig, StorageConfig } from './config/config-types.js'

/**
 * Builds the storage driver a configuration names. No network call happens here (S3 and Azure
 * connect on first use). Redirects are offered by the driver unless `storage.redirect.disable`.
 * The cloud drivers are imported only when configured: their SDKs take about a second to load.
 * Rejects with a ConfigError naming the section when the driver refuses its options.
 */
export async function createStorageFromConfig(storage: StorageConfig): Promise<StorageDriver> {
  const redirect = !storage.redirect.disable
  try {
    if ('filesystem' in storage) return createFsDriver({ root: storage.filesystem.rootdirectory })
    if ('s3' in storage) return (await import('@wharf/storage-s3')).createS3Driver(toS3Options(storage.s3, redirect))
    if ('azure' in storage) return (await import('@wharf/storage-azure')).createAzureDriver(toAzureOptions(storage.azure, redirect))
    return createMemoryDriver()
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const section = Object.keys(storage).find((key) => ['filesystem', 's3', 'azure', 'inmemory'].includes(key))
    throw new ConfigError(`storage.${section}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** registry:2's s3 settings as `createS3Driver` options. */
export function toS3Options(s3: S3StorageConfig, redirect: boolean): S3DriverOptions {
  const options: S3DriverOptions = {
    bucket: s3.bucket,
    region: s3.region,
    forcePathStyle: s3.forcepathstyle,
    redirect,
  }
  if (s3.regionendpoint) {
    options.endpoint = /^https?:\/\//i.test(s3.regionendpoint) ? s3.regionendpoint : `${s3.secure ? 'https' : 'http'}://${s3.regionendpoint}`
  }
  if (s3.accesskey && s3.secretkey) {
    options.credentials = { accessKeyId: s3.accesskey, secretAccessKey: s3.secretkey, ...(s3.sessiontoken ? { sessionToken: s3.sessiontoken } : {}) }
  }
  const prefix = toPrefix(s3.rootdirectory)
  if (prefix) options.prefix = prefix
  if (s3.chunksize !== undefined) options.partSize = s3.chunksize
  return options
}

/** registry:2's azure settings as `createAzureDriver` options (the container is created if missing, as registry:2 does). */
export function toAzureOptions(azure: AzureStorageConfig, redirect: boolean): AzureDriverOptions {
  const options: AzureDriverOptions = {
    container: azure.container,
    accountName: azure.accountname,
    accountKey: azure.accountkey,
    endpoint: azure.serviceurl ?? `https://${azure.accountname}.blob.${azure.realm}`,
    createContainer: true,
    redirect,
  }
  const prefix = toPrefix(azure.rootdirectory)
  if (prefix) options.prefix = prefix
  return options
}

/** registry:2 writes root directories as paths (`/registry/`); drivers take a bare key prefix. */
function toPrefix(rootdirectory: string | undefined): string | undefined {
  const prefix = rootdirectory?.replace(/^\/+|\/+$/g, '')
  return prefix || undefined
}
