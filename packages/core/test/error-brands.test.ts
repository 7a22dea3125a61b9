import { DriverError, isDriverError, isRegistryError, RegistryError } from '@wharf/core'
import { describe, expect, it } from 'vitest'

// What another copy (or version) of @wharf/core would construct: its own classes, the same brands.
class ForeignDriverError extends Error {
  constructor(readonly kind: string) {
    super('from another copy of core')
  }
}
Object.defineProperty(ForeignDriverError.prototype, Symbol.for('wharf.DriverError'), { value: true })
class ForeignRegistryError extends Error {
  constructor(readonly code: string) {
    super('from another copy of core')
  }
}
Object.defineProperty(ForeignRegistryError.prototype, Symbol.for('wharf.RegistryError'), { value: true })

describe('error brands', () => {
  it('recognises a DriverError of another copy of core, by kind', () => {
    const error = new ForeignDriverError('not-found')
    expect(isDriverError(error)).toBe(true)
    expect(isDriverError(error, 'not-found')).toBe(true)
    expect(isDriverError(error, 'unavailable')).toBe(false)
    expect(error instanceof DriverError).toBe(true)
  })

  it('recognises a RegistryError of another copy of core, by code', () => {
    const error = new ForeignRegistryError('MANIFEST_UNKNOWN')
    expect(isRegistryError(error, 'MANIFEST_UNKNOWN')).toBe(true)
    expect(error instanceof RegistryError).toBe(true)
  })

  it('does not mistake a plain error with the same name or fields for a wharf error', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'DriverError', kind: 'not-found', code: 'MANIFEST_UNKNOWN' })
    expect(isDriverError(lookalike)).toBe(false)
    expect(isRegistryError(lookalike)).toBe(false)
  })

  it('names the driver that threw', () => {
    const error = new DriverError('not-found', 'no object at x', { driver: 'memory' })
    expect(error.driver).toBe('memory')
  })
})
