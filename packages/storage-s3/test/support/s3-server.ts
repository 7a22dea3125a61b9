import { randomBytes } from 'node:crypto'
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { inject } from 'vitest'
import type { S3DriverOptions } from '../../src/index.js'
import '../global-setup.js'

/** Driver options for the test server (see global-setup.ts), with `overrides` applied. */
export function testDriverOptions(overrides: Partial<S3DriverOptions> = {}): S3DriverOptions {
  const s3 = inject('s3')
  return {
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...overrides,
  }
}

/** A fresh key prefix, so that tests sharing the bucket never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `test/${name}-${randomBytes(6).toString('hex')}`
}

/** A plain SDK client on the test bucket, to look at the bucket behind the driver's back. */
export function createInspector() {
  const s3 = inject('s3')
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  })
  return {
    /** Keys (full S3 keys) of multipart uploads in progress under `prefix`. */
    async multipartUploads(prefix: string): Promise<string[]> {
      const out = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))
      return (out.Uploads ?? []).map((u) => u.Key ?? '')
    },
    /** Every object key (full S3 key) under `prefix`, tails included. */
    async objects(prefix: string): Promise<string[]> {
      const out = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))
      return (out.Contents ?? []).map((o) => o.Key ?? '')
    },
    close: () => client.destroy(),
  }
}

/** Yields `data` in chunks of `size` bytes, as a request body would arrive. */
export async function* chunksOf(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(at + size, data.length))
}

/** Reads a whole Web stream into one Buffer. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) parts.push(chunk)
  return Buffer.concat(parts)
}

/** State through JSON, as it goes through the registry's upload session record. */
export const roundTrip = <T>(state: T): T => JSON.parse(JSON.stringify(state)) as T

/**
 * The `storage:` section (indented under it) that makes distribution's own s3 driver store under
 * `prefix` of the test bucket, as the registry:2 takeover and collection tests start it.
 */
export function registry2StorageYaml(prefix: string): string {
  const s3 = inject('s3')
  return [
    '  s3:',
    `    regionendpoint: ${s3.endpoint}`,
    `    region: ${s3.region}`,
    `    bucket: ${s3.bucket}`,
    `    accesskey: ${s3.accessKeyId}`,
    `    secretkey: ${s3.secretAccessKey}`,
    '    forcepathstyle: true',
    '    v4auth: true',
    '    secure: false',
    '    chunksize: 5242880',
    `    rootdirectory: /${prefix}`,
    '  redirect:',
    '    disable: true',
  ].join('\n')
}
