import { createHash, randomUUID } from 'node:crypto'
import { isRegistryError } from '../errors/registry-error.js'
import type { Digest } from '../grammar/digest.js'
import type { Stores } from '../http/context.js'
import { keys } from '../layout/key-layout.js'
import { UpstreamError, type UpstreamAnswer } from './upstream-client.js'

/** Bytes the first client may have queued before the fetch waits for it (its reads pace the fetch). */
const CLIENT_QUEUE_BYTES = 1024 * 1024

/** A fetch of one blob from an upstream into storage, shared by every request for it meanwhile. */
export interface BlobFill {
  /** Resolves once the blob is committed (`true`), or not stored because a quota refused it (`false`); rejects when the fetch failed. */
  readonly stored: Promise<boolean>
  /** The bytes for the first client, verified: it errors (cutting the response) at the first sign of tampering. */
  readonly body: ReadableStream<Uint8Array>
}

/** Options of {@link startBlobFill}. */
export interface BlobFillOptions {
  stores: Stores
  /** The local repository the blob is linked into. */
  repository: string
  digest: Digest
  /** The upstream's 200 answer to the blob GET. */
  answer: UpstreamAnswer
  /** Size from the upstream's `Content-Length`, if it sent one. */
  size: number | undefined
  maxBytes: number
  /** Whether to keep the blob (false when the quota already refused its announced size). */
  store: boolean
  /** Told about every upstream byte (metrics). */
  onBytes?: (bytes: number) => void
}

/**
 * Streams an upstream blob to the first client and into storage at once. Every chunk is hashed as
 * it arrives and the last one is held back until the digest is checked: a tampered blob (or one
 * longer or shorter than announced) makes the client's body error before the final byte, and its
 * bytes, written to a fresh `data/<id>` object, are removed instead of committed. What matches is
 * committed through the blob store (record, link, usage), exactly as a pushed blob, after the quota
 * check; the collector then sees it like any other blob.
 *
 * The fetch runs at the pace of the slower of the two readers (storage, the first client) while the
 * client is there; a client that goes away only stops receiving bytes, the fetch goes on for storage.
 */
export function startBlobFill(options: BlobFillOptions): BlobFill {
  const { stores, repository, digest, answer, size, maxBytes } = options
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let gone = false
  let wake: (() => void) | undefined
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => wake?.(),
      cancel: () => {
        gone = true
        wake?.()
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: CLIENT_QUEUE_BYTES }),
  )

  async function toClient(chunk: Uint8Array): Promise<void> {
    if (gone) return
    controller.enqueue(chunk)
    while (!gone && (controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (wake = resolve))
  }

  /** The upstream body, checked; what storage writes. Throws (ending the write) on any mismatch. */
  async function* verified(): AsyncGenerator<Uint8Array> {
    const hash = createHash(digest.algorithm)
    let received = 0
    let held: Uint8Array | undefined
    for await (const chunk of answer.chunks()) {
      received += chunk.length
      options.onBytes?.(chunk.length)
      if ((size !== undefined && received > size) || received > maxBytes) throw new UpstreamError('too-large', 'the upstream sent more bytes than announced or allowed')
      hash.update(chunk)
      if (held) await toClient(held)
      held = chunk
      yield chunk
    }
    if (size !== undefined && received !== size) throw new UpstreamError('unavailable', `the upstream body ended after ${received} of ${size} bytes`)
    if (hash.digest('hex') !== digest.hex) throw new UpstreamError('digest-mismatch', `the upstream blob does not match ${digest.value}`)
    if (held) await toClient(held)
  }

  async function run(): Promise<boolean> {
    if (!options.store) {
      // Over a quota: served (verified) to this client, not kept.
      for await (const chunk of verified()) void chunk
      return false
    }
    let write = await stores.driver.startWrite(keys.blobData(randomUUID()))
    try {
      write = await stores.driver.appendWrite(write, verified())
      await stores.driver.finishWrite(write)
    } catch (error) {
      answer.discard()
      await stores.driver.abortWrite(write).catch(() => undefined)
      throw error
    }
    try {
      // The final check, as for a push whose size was not declared.
      await stores.quotas.admit(repository, write.size, digest)
    } catch (error) {
      await stores.driver.delete(write.key).catch(() => undefined)
      if (isRegistryError(error, 'DENIED')) return false
      throw error
    }
    await stores.blobs.commit(repository, digest, { size: write.size, key: write.key })
    return true
  }

  const stored = run().then(
    (done) => {
      if (!gone) controller.close()
      return done
    },
    (error: unknown) => {
      // Cuts the first client's response before its last bytes: it never holds a whole tampered blob.
      if (!gone) controller.error(error)
      throw error
    },
  )
  // Joiners attach their own handlers; this one only keeps an unobserved failure from being fatal.
  stored.catch(() => undefined)
  return { stored, body }
}

