import type { StorageDriver } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The ETag a store reports for state that wharf has no object for (an entry read from registry:2's
 * tree, see `registry2/`). A compare-and-swap against it is a create-only write: it succeeds only
 * while wharf still has no object there, which is what "unchanged since read" means for it.
 */
export const NO_OBJECT_ETAG = '\u0000no-object'

/** The put condition for "still as I read it": create-only for {@link NO_OBJECT_ETAG}. */
export function toCondition(ifMatch: string): { ifMatch: string } | { ifNoneMatch: '*' } {
  return ifMatch === NO_OBJECT_ETAG ? { ifNoneMatch: '*' } : { ifMatch }
}

/** A JSON value read from storage together with the ETag to compare-and-swap it with. */
export interface Versioned<T> {
  value: T
  etag: string
  /** When the object was last written (absent for entries that are not wharf objects). */
  modified?: Date
}

/** Reads and parses a small JSON object; `undefined` when the key does not exist. */
export async function readJson<T>(driver: StorageDriver, key: string): Promise<Versioned<T> | undefined> {
  try {
    const object = await driver.get(key)
    return { value: JSON.parse(decoder.decode(object.body)) as T, etag: object.etag, modified: object.modified }
  } catch (error) {
    if (isDriverError(error, 'not-found')) return undefined
    throw error
  }
}

/** Serializes `value` as JSON for a `put`. */
export function toJsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

/**
 * Writes an object that must exist once: a create-only put where losing the race is fine because the
 * winner wrote an equivalent value (markers, links, blob records). Returns whether this call created it.
 */
export async function createOnce(driver: StorageDriver, key: string, body: Uint8Array): Promise<boolean> {
  try {
    await driver.put(key, body, { ifNoneMatch: '*' })
    return true
  } catch (error) {
    if (isDriverError(error, 'precondition-failed')) return false
    throw error
  }
}
