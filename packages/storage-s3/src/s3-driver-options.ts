import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { DEFAULT_PART_SIZE, checkPartSize } from './part-plan.js'

/** Options of {@link createS3Driver}. */
export interface S3DriverOptions {
  /** The bucket that holds the registry (it must exist). */
  bucket: string
  /** The bucket's region, e.g. `eu-west-1`. S3-compatible stores usually accept any, e.g. `us-east-1`. */
  region: string
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:7480` (Ceph radosgw, MinIO…). Default: AWS. */
  endpoint?: string
  /** Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key`. Most S3-compatible stores need it. */
  forcePathStyle?: boolean
  /** A key prefix inside the bucket, so that one bucket can hold other data (e.g. `registry`). */
  prefix?: string
  /** Static credentials or a provider. Default: the SDK's provider chain (environment, profile, instance role…). */
  credentials?: S3ClientConfig['credentials']
  /**
   * Size of the first parts of a multipart write (5 MiB to 5 GiB; default 8 MiB). Each append holds
   * about one part in memory (two while one uploads and the next fills). The size doubles every
   * 1,000 parts so that S3's 10,000-part limit is not reached before some terabytes.
   */
  partSize?: number
  /** Attempts per request, retried with exponential backoff on throttling, 5xx and network errors. Default 5. */
  maxAttempts?: number
  /** `standard` (default) or `adaptive` (also slows the client down when S3 throttles). */
  retryMode?: 'standard' | 'adaptive'
  /**
   * A request that makes no progress for this long fails (and is retried when it can be); so does a
   * download whose reader stalls that long (it holds a connection). Default 60,000 ms. Connecting
   * has its own limit of 5,000 ms.
   */
  requestTimeoutMs?: number
  /** Sockets kept open per host for concurrent requests (keep-alive). Default 128. */
  maxSockets?: number
  /**
   * Whether the store honours `If-None-Match: *` and `If-Match` on PutObject (AWS S3 since 2024, Ceph
   * radosgw, MinIO do). Default true. With `false` the driver declares `conditionalWrites: false` and
   * checks the condition with a HEAD before writing, which is NOT atomic: concurrent writers to one
   * tag may then overwrite each other, so run a single registry process or add a lock.
   */
  conditionalWrites?: boolean
  /** Offer pre-signed GET URLs so that the registry can redirect blob downloads to the store. Default false. */
  redirect?: boolean
  /** Anything else for the SDK's client (logger, custom user agent…); applied last. */
  clientConfig?: Partial<S3ClientConfig>
}

/** {@link S3DriverOptions} with defaults applied and values checked. */
export interface ResolvedS3Options {
  bucket: string
  prefix: string
  partSize: number
  conditionalWrites: boolean
  redirect: boolean
}

/** Applies the defaults and checks the options; throws a TypeError or RangeError on unusable ones. */
export function resolveS3Options(options: S3DriverOptions): ResolvedS3Options {
  if (typeof options.bucket !== 'string' || options.bucket === '') throw new TypeError('createS3Driver: bucket is required')
  if (typeof options.region !== 'string' || options.region === '') throw new TypeError('createS3Driver: region is required')
  return {
    bucket: options.bucket,
    prefix: toKeyPrefix(options.prefix),
    partSize: checkPartSize(options.partSize ?? DEFAULT_PART_SIZE),
    conditionalWrites: options.conditionalWrites ?? true,
    redirect: options.redirect ?? false,
  }
}

/** `registry`, `/registry/` and `registry/` all become `registry/`; nothing becomes ``. */
function toKeyPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : `${trimmed}/`
}
