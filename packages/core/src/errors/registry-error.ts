import { ERROR_CODES, type ErrorCode } from './error-codes.js'

/** Options of a {@link RegistryError} beyond its code. */
export interface RegistryErrorOptions {
  /** Overrides the table's status for this answer (e.g. 416, 413). */
  status?: number
  /** Overrides the table's message. */
  message?: string
  /** Machine-readable detail, sent to the client: never driver internals. */
  detail?: unknown
  /** Extra response headers (e.g. `Range` on a 416, `WWW-Authenticate` on a 401). */
  headers?: Record<string, string>
  cause?: unknown
}

/**
 * Brand of every RegistryError, whichever copy of `@wharf/core` created it: an auth hook or a driver
 * package may throw one made by its own copy of core, and it must still become its OCI answer.
 */
const REGISTRY_ERROR = Symbol.for('wharf.RegistryError')

/**
 * The one error class of the registry. Thrown anywhere below the HTTP edge; the edge turns it into
 * `{"errors":[{"code","message","detail"}]}` with its status and headers.
 */
export class RegistryError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: unknown
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, options: RegistryErrorOptions = {}) {
    super(options.message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RegistryError'
    this.code = code
    this.status = options.status ?? ERROR_CODES[code].status
    this.detail = options.detail
    this.headers = options.headers ?? {}
  }

  /** Makes `error instanceof RegistryError` true for a RegistryError of any copy of core, as undici does. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[REGISTRY_ERROR] === true
  }
}
Object.defineProperty(RegistryError.prototype, REGISTRY_ERROR, { value: true })

/** True when `error` is a {@link RegistryError} of any copy or version of core (optionally of the given code). */
export function isRegistryError(error: unknown, code?: ErrorCode): error is RegistryError {
  return error instanceof RegistryError && (code === undefined || error.code === code)
}

/** The JSON error body the spec defines, for one or more errors. */
export function toErrorBody(errors: readonly RegistryError[]): string {
  return JSON.stringify({
    errors: errors.map((e) => ({ code: e.code, message: e.message, ...(e.detail === undefined ? {} : { detail: e.detail }) })),
  })
}
