import { DriverError, isDriverError } from '@wharf/core'

/** The parts of the SDK's `RestError` (and of Node's network errors) that decide a driver error kind. */
interface AzureFailure {
  name?: unknown
  statusCode?: unknown
  code?: unknown
  message?: unknown
  /** Parsed response headers; `errorCode` is `x-ms-error-code`, the only code a HEAD answer carries. */
  details?: { errorCode?: unknown }
}

/** Status and error code of an SDK failure, for callers that treat one specific code specially. */
export function toAzureStatus(error: unknown): { status: number | undefined; code: string | undefined } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AzureFailure
  return {
    status: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    code:
      typeof e.details?.errorCode === 'string' ? e.details.errorCode : typeof e.code === 'string' ? e.code : undefined,
  }
}

/**
 * Translates whatever the Azure SDK threw into a {@link DriverError}, keeping the original as
 * `cause` (for logs; the registry never shows it to clients).
 *
 * - 404 → `not-found`, except a missing container, which is a misconfiguration (`unavailable`):
 *   reporting it as a missing key would make the registry answer "blob unknown" for everything.
 * - 412 (ConditionNotMet) and 409 BlobAlreadyExists (what Azure answers to `If-None-Match: *` on an
 *   existing blob) → `precondition-failed`.
 * - other 4xx except auth → `invalid`; 401/403 (wrong key, expired SAS, missing role) and everything
 *   else (5xx after the SDK's retries, refused connections, timeouts, aborts) → `unavailable`.
 */
export function toDriverError(error: unknown, what: string): DriverError {
  if (isDriverError(error)) return error
  const { status, code } = toAzureStatus(error)
  const label = [status, code].filter((x) => x !== undefined).join(' ')
  const detail = label ? ` (${label})` : ''
  if (status === 404) {
    if (code === 'ContainerNotFound') {
      return new DriverError('unavailable', `${what}: the container does not exist${detail}`, { cause: error, driver: 'azure' })
    }
    return new DriverError('not-found', `${what}: not found${detail}`, { cause: error, driver: 'azure' })
  }
  if (status === 412 || (status === 409 && code === 'BlobAlreadyExists')) {
    return new DriverError('precondition-failed', `${what}: condition not met${detail}`, { cause: error, driver: 'azure' })
  }
  if (status === 401 || status === 403) {
    return new DriverError('unavailable', `${what}: Azure refused the credentials${detail}`, { cause: error, driver: 'azure' })
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 409) {
    return new DriverError('invalid', `${what}: refused by Azure${detail}`, { cause: error, driver: 'azure' })
  }
  const name = (error as AzureFailure | undefined)?.name
  const reason = name === 'AbortError' ? 'aborted' : label ? `failed${detail}` : `failed: ${describe(error)}`
  return new DriverError('unavailable', `${what}: ${reason}`, { cause: error, driver: 'azure' })
}

function describe(error: unknown): string {
  const message = (error as AzureFailure | undefined)?.message
  return typeof message === 'string' ? message.slice(0, 200) : String(error)
}
