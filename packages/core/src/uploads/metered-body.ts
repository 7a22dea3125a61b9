import type { Hash } from 'node:crypto'
import { RegistryError } from '../errors/registry-error.js'

/** Counts what a metered body has passed on so far. */
export interface Meter {
  bytes: number
}

/**
 * Passes a request body on to a storage driver while hashing and counting it. When the client
 * declared a length, more bytes fail at once and fewer fail at the end, both as SIZE_INVALID, so the
 * driver's append rejects and the chunk is never acknowledged. Backpressure is kept: the next chunk is
 * pulled from the client only when the driver asks for it.
 */
export async function* meterBody(
  body: AsyncIterable<Uint8Array> | null,
  meter: Meter,
  hash: Hash | undefined,
  expected: number | undefined,
): AsyncGenerator<Uint8Array> {
  if (body) {
    for await (const chunk of body) {
      meter.bytes += chunk.length
      if (expected !== undefined && meter.bytes > expected) {
        throw new RegistryError('SIZE_INVALID', { message: `more than the ${expected} bytes declared were sent` })
      }
      hash?.update(chunk)
      yield chunk
    }
  }
  if (expected !== undefined && meter.bytes !== expected) {
    throw new RegistryError('SIZE_INVALID', { message: `${meter.bytes} bytes were sent, ${expected} declared` })
  }
}
