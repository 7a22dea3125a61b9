import { createHash, randomUUID } from 'node:crypto'
import type { StorageDriver, WriteState } from '../driver/storage-driver.js'
import { isDriverError } from '../driver/driver-error.js'
import type { Digest } from '../grammar/digest.js'
import type { ByteRange } from '../grammar/ranges.js'
import { RegistryError, isRegistryError } from '../errors/registry-error.js'
import { keys } from '../layout/key-layout.js'
import type { BlobLocation, BlobStore } from '../stores/blob-store.js'
import { createLiveHashers, type LiveHasher } from './live-hashers.js'
import { meterBody } from './metered-body.js'
import { guardBody } from './lease-guarded-body.js'
import { acquireLease, type HeldLease } from './upload-lease.js'
import { createUploadStore } from './upload-store.js'
import { isExpired, toRangeHeader, type UploadRecord } from './upload-state.js'

/** The bytes of one request: its body and what the client declared about it. */
export interface IncomingChunk {
  body: AsyncIterable<Uint8Array> | null
  /** From `Content-Range`; its start must equal the session's size. */
  range?: ByteRange
  /** From `Content-Length`. */
  length?: number
}

/** Blob uploads: sessions (POST/PATCH/PUT/GET/DELETE) and single-request monolithic pushes. */
export interface UploadService {
  start(repository: string): Promise<UploadRecord>
  status(repository: string, id: string): Promise<UploadRecord>
  append(repository: string, id: string, chunk: IncomingChunk): Promise<UploadRecord>
  /** Appends a final chunk (if any), verifies `digest` and makes the blob visible in `repository`. */
  finish(repository: string, id: string, digest: Digest, chunk: IncomingChunk | undefined): Promise<BlobLocation>
  cancel(repository: string, id: string): Promise<void>
  /** A whole blob in one request (POST `?digest=`). */
  monolithic(repository: string, digest: Digest, chunk: IncomingChunk): Promise<BlobLocation>
  /** Removes open sessions idle for longer than `olderThanMs` (and not being written). Returns their ids. */
  purge(olderThanMs: number, dryRun?: boolean): Promise<string[]>
}

export interface UploadServiceOptions {
  /**
   * How long a writing request's lease lasts unless renewed (every quarter of it). A holder on
   * another host that died is waited out this long; see upload-lease.ts. Default 30 s.
   */
  leaseMs?: number
  /**
   * Called with the size a blob of `repository` will have (and its digest when known) before bytes
   * are stored when the size is declared, and again before every commit; throws to refuse the push
   * (the quota check, policies/quotas.ts). Default: everything is admitted.
   */
  admit?: (repository: string, bytes: number, digest?: Digest) => Promise<void>
}

export function createUploadService(driver: StorageDriver, blobs: BlobStore, options: UploadServiceOptions = {}): UploadService {
  const store = createUploadStore(driver)
  const hashers = createLiveHashers()
  const leaseMs = options.leaseMs ?? 30_000
  const admit = options.admit ?? (async () => undefined)

  const unknown = () => new RegistryError('BLOB_UPLOAD_UNKNOWN')

  async function load(repository: string, id: string) {
    const loaded = await store.load(id)
    if (!loaded || loaded.value.repository !== repository) throw unknown()
    return loaded
  }

  function checkRange(record: UploadRecord, chunk: IncomingChunk): number | undefined {
    const { range, length } = chunk
    if (range) {
      if (range.start !== record.size) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', {
          status: 416,
          message: `chunk starts at ${range.start}, the upload has ${record.size} bytes`,
          headers: { Range: toRangeHeader(record.size) },
        })
      }
      const declared = range.end - range.start + 1
      if (length !== undefined && length !== declared) {
        throw new RegistryError('SIZE_INVALID', { message: 'Content-Length does not match Content-Range' })
      }
      return declared
    }
    return length
  }

  /** Streams one chunk into the session's write; returns the record to store (not yet stored). */
  async function receive(lease: HeldLease, expected: number | undefined, chunk: IncomingChunk) {
    const record = lease.record
    const live: LiveHasher | undefined = hashers.take(record.id, record.size)
    const meter = { bytes: 0 }
    let write: WriteState
    try {
      // The guard stops the append as soon as the lease is no longer safe (see upload-lease.ts).
      const body = guardBody(chunk.body, lease.signal, lease.bodyFailed)
      write = await driver.appendWrite(record.write, meterBody(body, meter, live?.hash, expected), { signal: lease.signal })
    } catch (error) {
      hashers.drop(record.id)
      // A lost lease is the cause whatever the driver made of the abort.
      throw lease.signal.aborted ? lease.signal.reason : error
    }
    const size = record.size + meter.bytes
    const next: UploadRecord = { ...record, write, size, updatedAt: Date.now() }
    if (live) {
      live.size = size
      next.hashed = { size, sha256: live.hash.copy().digest('hex') }
      hashers.keep(record.id, live)
    }
    return next
  }

  const hasBytes = (chunk: IncomingChunk | undefined): chunk is IncomingChunk =>
    chunk !== undefined && chunk.body !== null && chunk.length !== 0

  async function hashStored(key: string, algorithm: string): Promise<string> {
    const hash = createHash(algorithm)
    for await (const part of (await driver.read(key)) as unknown as AsyncIterable<Uint8Array>) hash.update(part)
    return hash.digest('hex')
  }

  /** After finishWrite: checks the digest, then links the blob. Nothing is visible on a mismatch. */
  async function verifyAndCommit(repository: string, digest: Digest, location: BlobLocation, knownHex: string | undefined) {
    const hex = knownHex ?? (await hashStored(location.key, digest.algorithm))
    if (hex !== digest.hex) {
      await driver.delete(location.key)
      throw new RegistryError('DIGEST_INVALID', { detail: { digest: digest.value } })
    }
    try {
      // The last check, for uploads whose size was not known before their bytes arrived.
      await admit(repository, location.size, digest)
    } catch (error) {
      await driver.delete(location.key)
      throw error
    }
    return blobs.commit(repository, digest, location)
  }

  async function finishWrite(write: WriteState) {
    try {
      await driver.finishWrite(write)
    } catch (error) {
      // A previous PUT may have finished the write and died before recording it: accept the result.
      const done = isDriverError(error, 'not-found') ? await driver.stat(write.key) : undefined
      if (done?.size !== write.size) throw error
    }
  }

  return {
    async start(repository) {
      const id = randomUUID()
      const now = Date.now()
      const write = await driver.startWrite(keys.blobData(id))
      const record: UploadRecord = { id, repository, state: 'open', size: 0, write, createdAt: now, updatedAt: now }
      await store.create(record)
      return record
    },

    async status(repository, id) {
      return (await load(repository, id)).value
    },

    async append(repository, id, chunk) {
      const loaded = await load(repository, id)
      const expected = checkRange(loaded.value, chunk)
      if (expected !== undefined) await admit(repository, loaded.value.size + expected)
      const lease = await acquireLease(store, loaded, leaseMs)
      let next: UploadRecord
      try {
        next = await receive(lease, expected, chunk)
      } catch (error) {
        await lease.release(lease.record).catch(() => undefined)
        throw error
      }
      return (await lease.release(next)).value
    },

    async finish(repository, id, digest, chunk) {
      const loaded = await load(repository, id)
      const expected = hasBytes(chunk) ? checkRange(loaded.value, chunk) : undefined
      if (expected !== undefined) await admit(repository, loaded.value.size + expected, digest)
      const lease = await acquireLease(store, loaded, leaseMs)
      let record = lease.record
      try {
        if (hasBytes(chunk)) record = await receive(lease, expected, chunk)
      } catch (error) {
        await lease.release(lease.record).catch(() => undefined)
        throw error
      }
      let knownHex: string | undefined
      if (digest.algorithm === 'sha256') {
        const live = hashers.take(id, record.size)
        if (live) knownHex = live.hash.digest('hex')
        else if (record.hashed?.size === record.size) knownHex = record.hashed.sha256
      }
      hashers.drop(id)
      try {
        // Past this point the bytes are final: never finish a write another request may have taken.
        lease.assertHeld()
        await finishWrite(record.write)
        const location = await verifyAndCommit(repository, digest, { size: record.size, key: record.write.key }, knownHex)
        await lease.stop()
        await store.remove(id)
        return location
      } catch (error) {
        if (isRegistryError(error, 'DIGEST_INVALID') || isRegistryError(error, 'DENIED')) {
          // The bytes are not what the client said, or over a quota: the session is cancelled and nothing is visible.
          await lease.stop()
          await store.remove(id)
        } else {
          // A storage failure: keep the session so the client can retry the PUT.
          await lease.release(record).catch(() => undefined)
        }
        throw error
      }
    },

    async cancel(repository, id) {
      const loaded = await load(repository, id)
      hashers.drop(id)
      await store.remove(id)
      await driver.abortWrite(loaded.value.write)
    },

    async monolithic(repository, digest, chunk) {
      if (chunk.length !== undefined) await admit(repository, chunk.length, digest)
      const id = randomUUID()
      let write = await driver.startWrite(keys.blobData(id))
      const hash = createHash(digest.algorithm)
      const meter = { bytes: 0 }
      try {
        write = await driver.appendWrite(write, meterBody(chunk.body, meter, hash, chunk.length))
        await driver.finishWrite(write)
      } catch (error) {
        await driver.abortWrite(write).catch(() => undefined)
        throw error
      }
      return verifyAndCommit(repository, digest, { size: write.size, key: write.key }, hash.digest('hex'))
    },

    async purge(olderThanMs, dryRun = false) {
      const purged: string[] = []
      const now = Date.now()
      for await (const id of store.ids()) {
        const loaded = await store.load(id)
        if (!loaded || !isExpired(loaded.value, now, olderThanMs)) continue
        purged.push(id)
        if (dryRun) continue
        // Remove the record by compare-and-swap first, so a request that just took the lease wins.
        const claimed = await store.save({ ...loaded.value, lease: { owner: 'purge', until: now + leaseMs } }, loaded.etag)
        if (!claimed) {
          purged.pop()
          continue
        }
        hashers.drop(id)
        await store.remove(id)
        await driver.abortWrite(loaded.value.write).catch(() => undefined)
      }
      return purged
    },
  }
}
