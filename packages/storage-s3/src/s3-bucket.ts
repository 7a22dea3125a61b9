import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { DriverError, type ListPage, type ObjectInfo, type StoredObject } from '@wharf/core'
import { isS3NotFound, toDriverError } from './s3-errors.js'
import type { PartRecord } from './write-state.js'

/** At most this many keys per ListObjectsV2 and DeleteObjects call (S3's limit). */
const BATCH = 1000

/**
 * The S3 calls the driver makes, on driver keys (the bucket's key prefix added and removed here),
 * each failure translated into a {@link DriverError}. One place for every SDK call.
 */
export interface S3Bucket {
  getObject(key: string, options?: { ifMatch?: string; signal?: AbortSignal }): Promise<StoredObject>
  putObject(key: string, body: Uint8Array, options?: { ifNoneMatch?: '*'; ifMatch?: string; signal?: AbortSignal }): Promise<string>
  headObject(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>
  /** The object's bytes from `offset`, `length` of them (to the end when omitted), as a Node stream. */
  getStream(key: string, offset: number, length: number | undefined, signal?: AbortSignal): Promise<Readable>
  list(prefix: string, options: { startAfter?: string; limit: number; signal?: AbortSignal }): Promise<ListPage>
  deleteObject(key: string, signal?: AbortSignal): Promise<void>
  /** Lists and batch-deletes every key under `prefix`. */
  deletePrefix(prefix: string, signal?: AbortSignal): Promise<void>
  createUpload(key: string, signal?: AbortSignal): Promise<string>
  uploadPart(key: string, uploadId: string, n: number, body: Uint8Array, signal?: AbortSignal): Promise<PartRecord>
  completeUpload(key: string, uploadId: string, parts: readonly PartRecord[], signal?: AbortSignal): Promise<void>
  /** Throws `not-found` when the multipart upload is gone (aborted or completed). */
  checkUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void>
  /** Aborts a multipart upload; an upload already gone is not an error. */
  abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void>
}

/** Creates the {@link S3Bucket} for `bucket`, storing driver keys under `prefix` (`` or ending in `/`). */
export function createS3Bucket(client: S3Client, bucket: string, prefix: string): S3Bucket {
  const toS3 = (key: string) => prefix + key
  const fromS3 = (key: string) => key.slice(prefix.length)
  const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {})

  async function call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw toDriverError(error, operation, key)
    }
  }

  const self: S3Bucket = {
    getObject: (key, { ifMatch, signal } = {}) =>
      call('GetObject', key, async () => {
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: toS3(key), ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
          opts(signal),
        )
        const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0)
        return { body, size: body.length, etag: out.ETag ?? '', modified: out.LastModified ?? new Date(0) }
      }),

    putObject: (key, body, { ifNoneMatch, ifMatch, signal } = {}) =>
      call('PutObject', key, async () => {
        const out = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: toS3(key),
            Body: body,
            ContentLength: body.length,
            ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
            ...(ifMatch ? { IfMatch: ifMatch } : {}),
          }),
          opts(signal),
        )
        if (out.ETag) return out.ETag
        // Some S3-compatible stores omit it; a HEAD right after is the best second source.
        const info = await self.headObject(key, signal)
        if (!info) throw new DriverError('unavailable', `s3 PutObject ${key}: object missing after write`, { driver: 's3' })
        return info.etag
      }),

    headObject: async (key, signal) => {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: toS3(key) }), opts(signal))
        return { size: out.ContentLength ?? 0, etag: out.ETag ?? '', modified: out.LastModified ?? new Date(0) }
      } catch (error) {
        if (isS3NotFound(error)) return undefined
        throw toDriverError(error, 'HeadObject', key)
      }
    },

    getStream: (key, offset, length, signal) =>
      call('GetObject', key, async () => {
        const range =
          length !== undefined ? `bytes=${offset}-${offset + length - 1}` : offset > 0 ? `bytes=${offset}-` : undefined
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: toS3(key), ...(range ? { Range: range } : {}) }),
          opts(signal),
        )
        if (!out.Body) throw new DriverError('unavailable', `s3 GetObject ${key}: no body`, { driver: 's3' })
        return out.Body as Readable
      }),

    list: (listPrefix, { startAfter, limit, signal }) =>
      call('ListObjectsV2', listPrefix, async () => {
        const out = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: toS3(listPrefix),
            MaxKeys: Math.min(limit, BATCH),
            ...(startAfter !== undefined ? { StartAfter: toS3(startAfter) } : {}),
          }),
          opts(signal),
        )
        const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [fromS3(o.Key)]))
        return { keys, truncated: out.IsTruncated === true }
      }),

    deleteObject: async (key, signal) => {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: toS3(key) }), opts(signal))
      } catch (error) {
        if (!isS3NotFound(error)) throw toDriverError(error, 'DeleteObject', key)
      }
    },

    deletePrefix: async (deleted, signal) => {
      let startAfter: string | undefined
      for (;;) {
        const page = await self.list(deleted, { limit: BATCH, signal, ...(startAfter !== undefined ? { startAfter } : {}) })
        if (page.keys.length > 0) {
          await call('DeleteObjects', deleted, async () => {
            const out = await client.send(
              new DeleteObjectsCommand({
                Bucket: bucket,
                Delete: { Objects: page.keys.map((k) => ({ Key: toS3(k) })), Quiet: true },
              }),
              opts(signal),
            )
            const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey')
            if (failed.length > 0) {
              const first = failed[0]
              throw new DriverError('unavailable', `s3 DeleteObjects ${deleted}: ${failed.length} keys not deleted (${first?.Key}: ${first?.Code})`, { driver: 's3' })
            }
          })
          startAfter = page.keys[page.keys.length - 1]
        }
        if (!page.truncated) return
      }
    },

    createUpload: (key, signal) =>
      call('CreateMultipartUpload', key, async () => {
        const out = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: toS3(key) }), opts(signal))
        if (!out.UploadId) throw new DriverError('unavailable', `s3 CreateMultipartUpload ${key}: no UploadId`, { driver: 's3' })
        return out.UploadId
      }),

    uploadPart: (key, uploadId, n, body, signal) =>
      call('UploadPart', key, async () => {
        const out = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: toS3(key), UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length }),
          opts(signal),
        )
        if (!out.ETag) throw new DriverError('unavailable', `s3 UploadPart ${key} #${n}: no ETag`, { driver: 's3' })
        return { n, etag: out.ETag, size: body.length }
      }),

    completeUpload: (key, uploadId, parts, signal) =>
      call('CompleteMultipartUpload', key, async () => {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: toS3(key),
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
          }),
          opts(signal),
        )
      }),

    checkUpload: (key, uploadId, signal) =>
      call('ListParts', key, async () => {
        await client.send(new ListPartsCommand({ Bucket: bucket, Key: toS3(key), UploadId: uploadId, MaxParts: 1 }), opts(signal))
      }),

    abortUpload: async (key, uploadId, signal) => {
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: toS3(key), UploadId: uploadId }), opts(signal))
      } catch (error) {
        if (!isS3NotFound(error)) throw toDriverError(error, 'AbortMultipartUpload', key)
      }
    },
  }
  return self
}
