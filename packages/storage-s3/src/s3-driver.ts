import { GetObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { DriverError, isDriverError, type ListPage, type PutOptions, type StorageDriver } from '@wharf/core'
import { createS3Client } from './create-s3-client.js'
import { createListChildren } from './list-children.js'
import { createMultipartWrites } from './multipart-write.js'
import { MIN_PART_SIZE } from './part-plan.js'
import { createS3Bucket } from './s3-bucket.js'
import { resolveS3Options, type S3DriverOptions } from './s3-driver-options.js'
import { toDriverError } from './s3-errors.js'
import { toWebStream } from './to-web-stream.js'

/**
 * A storage driver on Amazon S3 or any S3-compatible store (Ceph radosgw, MinIO…), fulfilling the
 * whole contract of `StorageDriver`:
 * - small objects with create-only and compare-and-swap writes through S3's conditional PutObject
 *   (`If-None-Match: *`, `If-Match`), declared as `conditionalWrites` unless turned off;
 * - ranged streaming reads that follow the consumer's pace and stop fetching when cancelled;
 * - ordered, paged listing (one ListObjectsV2 call per page), one level at a time with
 *   `Delimiter=/` (`listChildren`), and batched prefix deletes;
 * - resumable writes on multipart uploads, continued by any process from their JSON state, with
 *   chunks of any size (`minChunkSize` 5 MiB is advertised, smaller chunks cost a re-upload of at
 *   most a part), bounded memory, and a commit that does not copy the bytes;
 * - pre-signed GET URLs when `redirect` is set.
 * Keys are stored under the optional `prefix` inside `bucket`.
 */
export function createS3Driver(options: S3DriverOptions): StorageDriver {
  const resolved = resolveS3Options(options)
  const client = createS3Client(options)
  const bucket = createS3Bucket(client, resolved.bucket, resolved.prefix)
  const writes = createMultipartWrites(bucket, resolved.partSize)

  // Without native conditions: check, then write. Not atomic; see the `conditionalWrites` option.
  async function checkCondition(key: string, opts: PutOptions): Promise<void> {
    if (opts.ifNoneMatch === undefined && opts.ifMatch === undefined) return
    const current = await bucket.headObject(key, opts.signal)
    if (opts.ifNoneMatch === '*' && current) throw new DriverError('precondition-failed', `s3 PutObject ${key}: exists`, { driver: 's3' })
    if (opts.ifMatch !== undefined && current?.etag !== opts.ifMatch) {
      throw new DriverError('precondition-failed', `s3 PutObject ${key}: etag changed`, { driver: 's3' })
    }
  }

  // Ceph radosgw (at least up to 16.2) compares If-Match with the ETag *without* its quotes, so a
  // quoted ETag never matches there, while RFC 7232 (and AWS) use the quoted form. The driver sends
  // the quoted form; if that is refused with 412 while a HEAD shows the very same ETag, it retries
  // unquoted, and once the store has taken an unquoted one, sends only those.
  let unquotedIfMatch = false
  async function compareAndSwap(key: string, body: Uint8Array, etag: string, signal?: AbortSignal): Promise<string> {
    const send = async (ifMatch: string) => {
      try {
        return await bucket.putObject(key, body, { ifMatch, ...(signal ? { signal } : {}) })
      } catch (error) {
        // AWS answers 404 to If-Match on a missing key; for the contract that is a lost condition.
        if (isDriverError(error, 'not-found')) throw new DriverError('precondition-failed', `s3 PutObject ${key}: no such key`, { cause: error, driver: 's3' })
        throw error
      }
    }
    const bare = etag.replace(/^"(.*)"$/, '$1')
    if (unquotedIfMatch) return send(bare)
    try {
      return await send(etag)
    } catch (error) {
      if (statusOf(error) !== 412 || bare === etag) throw error
      if ((await bucket.headObject(key, signal))?.etag !== etag) throw error // a real conflict
      const written = await send(bare)
      unquotedIfMatch = true // learnt only from a store that refused the quoted form and took the bare one
      return written
    }
  }

  const driver: StorageDriver = {
    name: 's3',
    capabilities: { minChunkSize: MIN_PART_SIZE, conditionalWrites: resolved.conditionalWrites, redirect: resolved.redirect },

    get: (key, opts = {}) => bucket.getObject(key, opts.signal ? { signal: opts.signal } : {}),

    async put(key, body, opts = {}) {
      if (!resolved.conditionalWrites) {
        await checkCondition(key, opts)
        return { etag: await bucket.putObject(key, body, opts.signal ? { signal: opts.signal } : {}) }
      }
      if (opts.ifMatch === undefined) return { etag: await bucket.putObject(key, body, opts) }
      return { etag: await compareAndSwap(key, body, opts.ifMatch, opts.signal) }
    },

    stat: (key, opts = {}) => bucket.headObject(key, opts.signal),

    async read(key, opts = {}) {
      const offset = opts.offset ?? 0
      const emptyStream = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() })
      const sizeOf = async () => {
        const info = await bucket.headObject(key, opts.signal)
        if (!info) throw new DriverError('not-found', `s3 read ${key}: no such key`, { driver: 's3' })
        return info.size
      }
      // S3 has no empty range, and refuses (416) a range that starts at the end of the object:
      // both are answered from a HEAD.
      if (opts.length === 0) {
        await sizeOf()
        return emptyStream()
      }
      try {
        return toWebStream(await bucket.getStream(key, offset, opts.length, opts.signal), key, opts.signal)
      } catch (error) {
        if (offset > 0 && isRangeNotSatisfiable(error) && offset >= (await sizeOf())) return emptyStream()
        throw error
      }
    },

    async list(prefix, opts = {}): Promise<ListPage> {
      const limit = opts.limit ?? 1000
      if (limit <= 0) return { keys: [], truncated: (await bucket.list(prefix, { ...opts, limit: 1 })).keys.length > 0 }
      return bucket.list(prefix, { ...opts, limit })
    },

    listChildren: createListChildren(client, resolved.bucket, resolved.prefix),

    delete: (key, opts = {}) => bucket.deleteObject(key, opts.signal),
    deletePrefix: (prefix, opts = {}) => bucket.deletePrefix(prefix, opts.signal),

    startWrite: (key, opts = {}) => writes.start(key, opts.signal),
    appendWrite: (state, data, opts = {}) => writes.append(state, data, opts.signal),
    finishWrite: (state, opts = {}) => writes.finish(state, opts.signal),
    abortWrite: (state, opts = {}) => writes.abort(state, opts.signal),

    async close() {
      client.destroy()
    },
  }

  if (resolved.redirect) {
    driver.presignGet = async (key, expiresInSeconds) => {
      try {
        const command = new GetObjectCommand({ Bucket: resolved.bucket, Key: resolved.prefix + key })
        return await getSignedUrl(client, command, { expiresIn: expiresInSeconds })
      } catch (error) {
        throw toDriverError(error, 'presign GetObject', key)
      }
    }
  }
  return driver
}

/** The HTTP status of the S3 answer behind a driver error, if there was one. */
function statusOf(error: unknown): number | undefined {
  const cause = error instanceof Error ? (error.cause as { $metadata?: { httpStatusCode?: number } } | undefined) : undefined
  return cause?.$metadata?.httpStatusCode
}

function isRangeNotSatisfiable(error: unknown): boolean {
  return statusOf(error) === 416
}
