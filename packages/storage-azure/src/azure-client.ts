import {
  AnonymousCredential,
  BlobServiceClient,
  StorageRetryPolicyType,
  StorageSharedKeyCredential,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob'

/**
 * An Azure AD / Entra ID credential, e.g. `new DefaultAzureCredential()` from `@azure/identity`
 * (an optional peer dependency: the driver never imports it itself). Structurally the SDK's
 * `TokenCredential`.
 */
export interface AzureTokenCredential {
  getToken(
    scopes: string | string[],
    options?: object,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>
}

/** Options of `createAzureDriver`. Exactly one way to authenticate must be given. */
export interface AzureDriverOptions {
  /** The blob container holding the registry's objects. */
  container: string
  /** Storage account name; with `accountKey` it is required unless `endpoint` names the account. */
  accountName?: string
  /** Shared account key. The only credential with which `presignGet` (SAS URLs) is available. */
  accountKey?: string
  /** A SAS token (with or without the leading `?`) granting read/write/delete/list on the container. */
  sasToken?: string
  /** A connection string (`AccountName=…;AccountKey=…` or one with a `SharedAccessSignature`). */
  connectionString?: string
  /** An Azure AD credential (e.g. `DefaultAzureCredential` from `@azure/identity`). */
  credential?: AzureTokenCredential
  /**
   * The account URL. Defaults to `https://<accountName>.blob.core.windows.net`. For Azurite use the
   * path-style URL `http://127.0.0.1:<port>/devstoreaccount1`.
   */
  endpoint?: string
  /** A folder inside the container under which every key is stored (e.g. `registry`). */
  prefix?: string
  /** Create the container on first use when it does not exist. Default false. */
  createContainer?: boolean
  /**
   * Offer `presignGet` (short-lived read-only SAS URLs) so the registry can redirect blob downloads
   * to Azure. Needs an account key (`accountKey` or a key connection string). Default false.
   */
  redirect?: boolean
  /** Retries of a request that failed with 500/503 (Azure's throttling answer) or a network error. Default 3. */
  maxRetries?: number
  /**
   * Size of the blocks a resumable write stages, in bytes (default 8 MiB, at most 4000 MiB). Memory
   * per write is about one block; a blob may have 50,000 blocks, so 8 MiB blocks allow about 390 GiB.
   */
  blockSize?: number
}

/** What the driver needs from the SDK, built once from the options. */
export interface AzureConnection {
  container: ContainerClient
  /** Present when the options carried an account key: needed to sign SAS URLs. */
  sharedKey: StorageSharedKeyCredential | undefined
}

/** Turns the options into a container client with the retry policy configured. Throws TypeError on bad options. */
export function createAzureConnection(options: AzureDriverOptions): AzureConnection {
  if (!options.container) throw new TypeError('createAzureDriver: `container` is required')
  const ways = [options.accountKey, options.sasToken, options.connectionString, options.credential].filter(
    (x) => x !== undefined && x !== '',
  )
  if (ways.length !== 1) {
    throw new TypeError(
      'createAzureDriver: give exactly one of `accountKey`, `sasToken`, `connectionString` or `credential`',
    )
  }
  const maxRetries = options.maxRetries ?? 3
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError('createAzureDriver: `maxRetries` must be an integer >= 0')
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
      maxTries: maxRetries + 1,
      // The SDK's default first delay is 4 s; a registry request waiting on throttling is better
      // served by a quicker first retry, still backing off exponentially.
      retryDelayInMs: 500,
      maxRetryDelayInMs: 30_000,
    },
  }

  let service: BlobServiceClient
  let sharedKey: StorageSharedKeyCredential | undefined
  if (options.connectionString) {
    service = BlobServiceClient.fromConnectionString(options.connectionString, pipeline)
    if (service.credential instanceof StorageSharedKeyCredential) sharedKey = service.credential
  } else {
    const endpoint = toEndpoint(options)
    if (options.accountKey) {
      const accountName = options.accountName ?? toAccountName(endpoint)
      sharedKey = new StorageSharedKeyCredential(accountName, options.accountKey)
      service = new BlobServiceClient(endpoint, sharedKey, pipeline)
    } else if (options.sasToken) {
      const sas = options.sasToken.replace(/^\?/, '')
      service = new BlobServiceClient(`${endpoint}?${sas}`, new AnonymousCredential(), pipeline)
    } else {
      service = new BlobServiceClient(endpoint, options.credential as AzureTokenCredential, pipeline)
    }
  }
  return { container: service.getContainerClient(options.container), sharedKey }
}

function toEndpoint(options: AzureDriverOptions): string {
  if (options.endpoint) return options.endpoint.replace(/\/+$/, '')
  if (!options.accountName) throw new TypeError('createAzureDriver: give `endpoint` or `accountName`')
  return `https://${options.accountName}.blob.core.windows.net`
}

/**
 * The account name in an endpoint: the first path segment of a path-style URL (Azurite,
 * `http://127.0.0.1:10000/devstoreaccount1`), else the first label of the host name.
 */
function toAccountName(endpoint: string): string {
  const url = new URL(endpoint)
  const segment = url.pathname.split('/').find((s) => s !== '')
  const name = segment ?? url.hostname.split('.')[0]
  if (!name) throw new TypeError('createAzureDriver: give `accountName` (the endpoint does not name the account)')
  return name
}
