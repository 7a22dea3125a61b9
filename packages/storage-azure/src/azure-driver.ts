import { Readable, addAbortSignal } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { BlobSASPermissions, generateBlobSASQueryParameters, type BlobDownloadResponseParsed } from '@azure/storage-blob'
import { DriverError, type ObjectInfo, type StorageDriver } from '@wharf/core'
import { createAzureConnection, type AzureDriverOptions } from './azure-client.js'
import { toDriverError } from './azure-errors.js'
import { DEFAULT_BLOCK_SIZE, MAX_BLOCK_SIZE, createBlockWrites } from './block-write.js'
import { listChildren, listKeys, walkKeys } from './list-keys.js'

/** How many single-blob deletes `deletePrefix` keeps in flight. */
const DELETE_CONCURRENCY = 16
/** How often a download that broke mid-body is resumed (from where it broke, same ETag) by the SDK. */
const DOWNLOAD_RESUMES = 3

/**
 * A storage driver on Azure Blob Storage (or Azurite), using Azure's own primitives:
 *
 * - small objects are block blobs written in one `Put Blob`, create-only with `If-None-Match: *`
 *   and compare-and-swap with `If-Match: <etag>`, both enforced by the service;
 * - reads are ranged `Get Blob` calls streamed with backpressure and cancelled with the reader;
 * - listing is `List Blobs` with a prefix, `startFrom` for the cursor and `maxresults` for the limit,
 *   and one level at a time with `listBlobsByHierarchy` (`listChildren`);
 * - resumable writes stage blocks on the final blob name and commit the block list at the end:
 *   nothing is visible before, and nothing is copied (see `block-write.ts`);
 * - `presignGet` signs a read-only SAS URL when `redirect` is on and an account key is known.
 *
 * Failures become {@link DriverError}s (`cause` keeps the SDK's error); throttling and 5xx answers
 * are retried with exponential backoff by the SDK first (`maxRetries`).
 */
export function createAzureDriver(options: AzureDriverOptions): StorageDriver {
  const { container, sharedKey } = createAzureConnection(options)
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    throw new TypeError(`createAzureDriver: \`blockSize\` must be an integer from 1 to ${MAX_BLOCK_SIZE}`)
  }
  const folder = (options.prefix ?? '').replace(/^\/+|\/+$/g, '')
  const toBlobName = (key: string) => (folder ? `${folder}/${key}` : key)
  const toKey = (name: string) => (folder ? name.slice(folder.length + 1) : name)
  const blobOf = (key: string) => container.getBlockBlobClient(toBlobName(key))

  // With `createContainer`, the first operation creates the container; a failure is not cached,
  // so the next operation tries again.
  let creating: Promise<void> | undefined
  const ready = async (): Promise<void> => {
    if (!options.createContainer) return
    creating ??= container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        creating = undefined
        throw toDriverError(error, `create container ${container.containerName}`)
      },
    )
    return creating
  }

  const redirect = options.redirect === true && sharedKey !== undefined
  const writes = createBlockWrites(container, toBlobName, blockSize, ready)

  const driver: StorageDriver = {
    name: 'azure',
    capabilities: { minChunkSize: 0, conditionalWrites: true, redirect },

    async get(key, opts = {}) {
      await ready()
      let res: BlobDownloadResponseParsed
      try {
        res = await blobOf(key).download(0, undefined, { abortSignal: opts.signal, maxRetryRequests: DOWNLOAD_RESUMES })
      } catch (error) {
        throw toDriverError(error, `get ${key}`)
      }
      const body = await readBody(res, `get ${key}`)
      return { body, size: body.length, etag: res.etag ?? '', modified: res.lastModified ?? new Date() }
    },

    async put(key, body, opts = {}) {
      await ready()
      const conditions = opts.ifNoneMatch === '*' ? { ifNoneMatch: '*' } : opts.ifMatch !== undefined ? { ifMatch: opts.ifMatch } : {}
      try {
        const res = await blobOf(key).upload(body, body.length, { conditions, abortSignal: opts.signal })
        return { etag: res.etag ?? '' }
      } catch (error) {
        throw toDriverError(error, `put ${key}`)
      }
    },

    async stat(key, opts = {}): Promise<ObjectInfo | undefined> {
      await ready()
      try {
        const props = await blobOf(key).getProperties({ abortSignal: opts.signal })
        return { size: props.contentLength ?? 0, etag: props.etag ?? '', modified: props.lastModified ?? new Date() }
      } catch (error) {
        const failure = toDriverError(error, `stat ${key}`)
        if (failure.kind === 'not-found') return undefined
        throw failure
      }
    },

    async read(key, opts = {}) {
      await ready()
      const offset = opts.offset ?? 0
      if (opts.length === 0) {
        // Azure has no empty range; only check that the object exists.
        if (!(await driver.stat(key, opts))) throw new DriverError('not-found', `read ${key}: not found`, { driver: 'azure' })
        return new ReadableStream<Uint8Array>({ start: (c) => c.close() })
      }
      let res: BlobDownloadResponseParsed
      try {
        res = await blobOf(key).download(offset, opts.length, { abortSignal: opts.signal, maxRetryRequests: DOWNLOAD_RESUMES })
      } catch (error) {
        throw toDriverError(error, `read ${key}`)
      }
      const body = res.readableStreamBody as Readable | undefined
      if (!body) return new ReadableStream<Uint8Array>({ start: (c) => c.close() })
      if (opts.signal) addAbortSignal(opts.signal, body)
      // Readable.toWeb pulls from the response only as the reader asks, and destroys it (closing
      // the connection to Azure) when the reader cancels.
      return Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>
    },

    async list(prefix, opts = {}) {
      await ready()
      const page = await listKeys(container, toBlobName(prefix), {
        ...opts,
        ...(opts.startAfter !== undefined ? { startAfter: toBlobName(opts.startAfter) } : {}),
      })
      return { keys: page.keys.map(toKey), truncated: page.truncated }
    },

    async *listChildren(prefix, opts = {}) {
      await ready()
      yield* listChildren(container, toBlobName(prefix), opts.signal)
    },

    async delete(key, opts = {}) {
      await ready()
      try {
        await blobOf(key).deleteIfExists({ deleteSnapshots: 'include', abortSignal: opts.signal })
      } catch (error) {
        throw toDriverError(error, `delete ${key}`)
      }
    },

    async deletePrefix(prefix, opts = {}) {
      await ready()
      for await (const names of walkKeys(container, toBlobName(prefix), opts.signal)) {
        await forEachLimited(names, DELETE_CONCURRENCY, async (name) => {
          try {
            await container.getBlockBlobClient(name).deleteIfExists({ deleteSnapshots: 'include', abortSignal: opts.signal })
          } catch (error) {
            throw toDriverError(error, `delete ${toKey(name)}`)
          }
        })
      }
    },

    startWrite: (key) => writes.startWrite(key),
    appendWrite: (state, data, opts) => writes.appendWrite(state, data, opts),
    finishWrite: (state, opts) => writes.finishWrite(state, opts),
    abortWrite: (state, opts) => writes.abortWrite(state, opts),
  }

  if (redirect && sharedKey) {
    const key = sharedKey
    driver.presignGet = async (objectKey, expiresInSeconds) => {
      const blob = blobOf(objectKey)
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container.containerName,
          blobName: blob.name,
          permissions: BlobSASPermissions.parse('r'),
          // No start time: a start time in the future of a server whose clock runs behind would
          // make a fresh URL fail; Azure then accepts the SAS from the moment it is signed.
          expiresOn: new Date(Date.now() + expiresInSeconds * 1000),
        },
        key,
      )
      return `${blob.url}?${sas.toString()}`
    }
  }
  return driver
}

async function readBody(res: BlobDownloadResponseParsed, what: string): Promise<Uint8Array> {
  const body = res.readableStreamBody
  if (!body) return new Uint8Array(0)
  try {
    return await buffer(body)
  } catch (error) {
    throw toDriverError(error, what)
  }
}

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await task(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
