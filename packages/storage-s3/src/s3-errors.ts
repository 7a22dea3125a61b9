import { DriverError } from '@wharf/core'

/** What the AWS SDK puts on the errors it throws (service errors and, partly, network errors). */
interface SdkErrorShape {
  name?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload'])
/** The backend refuses us (credentials, permissions, bucket): not the client's fault, not retryable by it. */
const REFUSED_NAMES = new Set(['NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken'])

/**
 * Translates an AWS SDK error (or a network error) into the driver contract's few kinds, keeping
 * the original as `cause`:
 * - `not-found`: NoSuchKey, NoSuchUpload, any other 404 (HEAD answers carry no code);
 * - `precondition-failed`: 412, and 409 (S3 answers ConditionalRequestConflict when two conditional
 *   writes of one key overlap);
 * - `unavailable`: 401/403 and a missing bucket (a configuration problem of the server, which the
 *   registry should report as its own failure rather than blame the client), 408/429/5xx after the
 *   SDK's retries, network errors, time-outs and aborts;
 * - `invalid`: any other 4xx (a request S3 found malformed, e.g. EntityTooSmall, InvalidPart).
 * A {@link DriverError} passes through unchanged.
 */
export function toDriverError(error: unknown, operation: string, key?: string): DriverError {
  if (error instanceof DriverError) return error
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape
  const name = e.name ?? 'Error'
  const status = e.$metadata?.httpStatusCode
  const where = key === undefined ? `s3 ${operation}` : `s3 ${operation} ${key}`
  const detail = status === undefined ? name : `${status} ${name}`
  const fail = (kind: DriverError['kind']) => new DriverError(kind, `${where}: ${detail}`, { cause: error, driver: 's3' })

  if (REFUSED_NAMES.has(name) || status === 401 || status === 403) return fail('unavailable')
  if (NOT_FOUND_NAMES.has(name) || status === 404) return fail('not-found')
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409) {
    return fail('precondition-failed')
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) return fail('invalid')
  return fail('unavailable')
}

/** True when `error` is S3 saying that the key or the multipart upload does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape
  if (e.name === 'NoSuchBucket') return false
  return NOT_FOUND_NAMES.has(e.name ?? '') || e.$metadata?.httpStatusCode === 404
}
