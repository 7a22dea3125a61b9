import { createHash, randomFill } from 'node:crypto'
import { open } from 'node:fs/promises'
import { promisify } from 'node:util'

const randomFillAsync = promisify(randomFill)
const chunkSize = 1 << 20

/**
 * Writes `sizeBytes` of random bytes to `path` (incompressible, so no layer of the stack can cheat)
 * and returns its OCI digest. Memory stays at one 1 MiB chunk whatever the size.
 */
export async function createRandomBlobFile(path, sizeBytes) {
  const hash = createHash('sha256')
  const chunk = Buffer.allocUnsafe(chunkSize)
  const file = await open(path, 'w')
  try {
    for (let written = 0; written < sizeBytes; written += chunkSize) {
      const part = chunk.subarray(0, Math.min(chunkSize, sizeBytes - written))
      await randomFillAsync(part)
      hash.update(part)
      await file.write(part)
    }
  } finally {
    await file.close()
  }
  return `sha256:${hash.digest('hex')}`
}
