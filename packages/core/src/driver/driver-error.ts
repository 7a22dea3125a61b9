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

/** Options of a {@link DriverError}. */
export interface DriverErrorOptions {
  /** The SDK's or the system's error, for logs, never for clients. */
  cause?: unknown
  /** Name of the driver that threw (`fs`, `s3`, `azure`, `memory`, yours), so logs say which backend failed. */
  driver?: string
}

/**
 * Brand of every DriverError, whichever copy of `@wharf/core` created it. A driver package resolves
 * its own `@wharf/core` (npm may install two copies, or two versions); `instanceof` would then fail
 * and a "not found" would surface as a 500. `Symbol.for` is shared by the whole process.
 */
const DRIVER_ERROR = Symbol.for('wharf.DriverError')

/** The one error class drivers throw. `cause` keeps the SDK's error for logs, never for clients. */
export class DriverError extends Error {
  readonly kind: DriverErrorKind
  /** The driver that threw, when it said (every driver of this repository does). */
  readonly driver: string | undefined

  constructor(kind: DriverErrorKind, message: string, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DriverError'
    this.kind = kind
    this.driver = options.driver
  }

  /** Makes `error instanceof DriverError` true for a DriverError of any copy of core, as undici does. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DRIVER_ERROR] === true
  }
}
Object.defineProperty(DriverError.prototype, DRIVER_ERROR, { value: true })

/** True when `error` is a {@link DriverError} (of any copy or version of core) of the given kind (any kind when omitted). */
export function isDriverError(error: unknown, kind?: DriverErrorKind): error is DriverError {
  return error instanceof DriverError && (kind === undefined || error.kind === kind)
}
