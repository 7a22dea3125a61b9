/**
 * The few failure kinds a storage driver reports. Drivers translate their SDK's errors into these;
 * the registry's stores decide which OCI error (if any) a kind becomes.
 *
 * - `not-found`: the key (or the resumable write) does not exist.
 * - `precondition-failed`: a conditional write lost (the key exists, or its ETag changed).
 * - `invalid`: the request was refused as malformed by the backend (e.g. a part too small).
 * - `unavailable`: the backend cannot be reached or failed; the operation may be retried.
 */
export type DriverErrorKind = 'not-found' | 'precondition-failed' | 'invalid' | 'unavailable'

/** The one error class drivers throw. `cause` keeps the SDK's error for logs, never for clients. */
export class DriverError extends Error {
  readonly kind: DriverErrorKind

  constructor(kind: DriverErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DriverError'
    this.kind = kind
  }
}

/** True when `error` is a {@link DriverError} of the given kind (any kind when omitted). */
export function isDriverError(error: unknown, kind?: DriverErrorKind): error is DriverError {
  return error instanceof DriverError && (kind === undefined || error.kind === kind)
}
