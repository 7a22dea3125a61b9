import { DriverError } from '@wharf/core'

/** The `code` of a Node system error, if `error` is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** True for the errors a path that does not exist produces (a missing file or a missing parent). */
export function isMissing(error: unknown): boolean {
  const code = errorCode(error)
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Turns any failure into what the driver throws: a {@link DriverError} passes through, and so does
 * the caller's own abort (an `AbortError`, so the caller recognises its cancellation); a missing
 * path becomes `not-found`; everything else is `unavailable` with the system error kept as `cause`
 * (for logs; the registry never shows it to clients).
 */
export function toDriverError(error: unknown, what: string): Error {
  if (error instanceof DriverError) return error
  if (error instanceof Error && error.name === 'AbortError') return error
  if (isMissing(error)) return new DriverError('not-found', `${what}: not found`, { cause: error, driver: 'fs' })
  const code = errorCode(error)
  return new DriverError('unavailable', `${what}: ${code ?? (error as Error)?.name ?? 'failed'}`, { cause: error, driver: 'fs' })
}
