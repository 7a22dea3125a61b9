import type { Registry2Files } from '../registry2/registry2-files.js'

/**
 * The storage driver contract: everything the registry's stores need from a backend.
 *
 * A driver is a small object store over string keys (see `layout/key-layout.ts` for the keys the
 * registry uses). It is deliberately shaped like S3 and Azure Blob rather than like a filesystem:
 * whole-object reads and writes with conditional semantics, ranged streaming reads, resumable
 * multi-part writes whose state is plain JSON, and ordered prefix listing with a cursor.
 *
 * Keys are `/`-separated, never start or end with `/`, never contain `..`, `.` or empty segments,
 * and use only `[A-Za-z0-9._:@=+-]` and `/`. The registry validates every name, tag and digest before it
 * builds a key, so a driver may map keys to paths directly.
 *
 * Errors: a driver reports failures by throwing {@link DriverError} with one of the kinds in
 * `driver-error.ts`. Any other exception is treated as `unavailable`.
 */
export interface StorageDriver {
  /** A short name for logs and health reports, e.g. `fs`, `s3`, `azure`, `memory`. */
  readonly name: string
  /** What the backend can do, declared up front instead of failing at run time. */
  readonly capabilities: DriverCapabilities

  /**
   * Reads a whole small object (links, manifests, tags, session records).
   * Throws `not-found` when the key does not exist.
   */
  get(key: string, options?: OperationOptions): Promise<StoredObject>

  /**
   * Writes a whole small object atomically: readers see the old value or the new one, never a mix.
   * - `ifNoneMatch: '*'` creates only: throws `precondition-failed` when the key exists.
   * - `ifMatch: etag` compare-and-swap: throws `precondition-failed` when the current ETag differs
   *   or the key does not exist.
   * Returns the new ETag. Conditions must hold between processes sharing the same storage.
   */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }>

  /** Size, ETag and modification time of an object; `undefined` when it does not exist. */
  stat(key: string, options?: OperationOptions): Promise<ObjectInfo | undefined>

  /**
   * Streams an object's bytes, optionally a range of them (`offset` from 0, `length` bytes; both
   * already checked against the object's size by the caller). Throws `not-found` before returning
   * when the key does not exist. The stream honours backpressure and stops I/O when cancelled or
   * when `signal` aborts.
   */
  read(key: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>

  /**
   * Lists keys under `prefix` in lexical (byte) order, starting strictly after `startAfter` (a full
   * key) when given, at most `limit` keys (the driver may return fewer; `truncated` says whether more
   * exist). One backend list call per page: never a walk of the whole store.
   */
  list(prefix: string, options?: ListOptions): Promise<ListPage>

  /**
   * Optional: one level of the key tree, for backends that list with a delimiter (S3
   * `ListObjectsV2` with `Delimiter=/`, Azure `listBlobsByHierarchy`). Yields, relative to `prefix`
   * (which ends with `/`), every key directly under it (`name`) and, once each, the first segment
   * of deeper keys followed by `/` (`dir/`, as a directory would be), in lexical order of the full
   * keys, streamed one backend call (page) at a time. Nothing when no key starts with `prefix`.
   *
   * Readers of directory-shaped trees use it: registry:2's layout (`registry2/`) has one directory
   * per blob and per link. Without it they page through `list` and skip each subdirectory's
   * remaining keys with a start-after cursor: a directory of N subdirectories of k keys each then
   * costs about min(N, N * k / 1000) calls instead of N / 1000.
   */
  listChildren?(prefix: string, options?: OperationOptions): AsyncIterable<string>

  /** Deletes one object. Deleting a missing key is not an error. */
  delete(key: string, options?: OperationOptions): Promise<void>

  /** Deletes every object whose key starts with `prefix` (which ends with `/`). */
  deletePrefix(prefix: string, options?: OperationOptions): Promise<void>

  /**
   * Starts a resumable write that, once finished, becomes the object `key`. Nothing is visible at
   * `key` before {@link finishWrite}. The returned state is plain JSON: it is stored in the upload
   * session record, and any process sharing the storage may continue the write from it.
   */
  startWrite(key: string, options?: OperationOptions): Promise<WriteState>

  /**
   * Appends bytes to a resumable write and resolves to the new state once they are durable.
   * Appending is idempotent per offset: if the process dies mid-append, a later append from the
   * same (old) state overwrites whatever partial bytes were left, so an acknowledged state never
   * includes bytes that were not acknowledged. Chunks of any size are accepted; drivers with a
   * minimum part size keep the remainder themselves (see `capabilities.minChunkSize`).
   * Memory use stays bounded (about one part) whatever the amount of data.
   */
  appendWrite(state: WriteState, data: AsyncIterable<Uint8Array>, options?: OperationOptions): Promise<WriteState>

  /** Makes the written bytes visible at the write's key. Cost does not grow with the size on cloud stores. */
  finishWrite(state: WriteState, options?: OperationOptions): Promise<void>

  /** Discards a resumable write and any bytes it staged. Aborting twice is not an error. */
  abortWrite(state: WriteState, options?: OperationOptions): Promise<void>

  /**
   * Optional: a URL from which a client may download `key` directly for `expiresInSeconds`.
   * Present only when `capabilities.redirect` is true.
   */
  presignGet?(key: string, expiresInSeconds: number): Promise<string>

  /**
   * Optional: registry:2's files under the same root, by their own paths (`registry2/`), for drivers
   * whose keys are not plain file names (the fs driver adds a `,` to each). Drivers whose object
   * names are their keys (S3, Azure) leave it out: the registry then reads those paths as keys.
   */
  readonly registry2Files?: Registry2Files

  /** Optional: releases connections, timers and files. */
  close?(): Promise<void>
}

/** What a backend can do. */
export interface DriverCapabilities {
  /**
   * Smallest chunk the backend stores efficiently (S3: 5 MiB). Advertised to clients as
   * `OCI-Chunk-Min-Length`; smaller chunks are still accepted. `0` when there is none.
   */
  readonly minChunkSize: number
  /** Whether `put` honours `ifNoneMatch`/`ifMatch` natively and atomically. */
  readonly conditionalWrites: boolean
  /** Whether `presignGet` is available for redirecting blob downloads. */
  readonly redirect: boolean
}

/** Serializable state of a resumable write. `key`, `size` are common; the rest is the driver's own. */
export interface WriteState {
  /** The key the object will have once finished. */
  readonly key: string
  /** Bytes acknowledged so far. */
  readonly size: number
  readonly [driverField: string]: unknown
}

export interface OperationOptions {
  signal?: AbortSignal
}

export interface PutOptions extends OperationOptions {
  ifNoneMatch?: '*'
  ifMatch?: string
}

export interface ReadOptions extends OperationOptions {
  offset?: number
  length?: number
}

export interface ListOptions extends OperationOptions {
  startAfter?: string
  limit?: number
}

export interface ListPage {
  /** Full keys, in lexical order. */
  keys: string[]
  /** Whether more keys follow the last one returned. */
  truncated: boolean
}

export interface ObjectInfo {
  size: number
  etag: string
  modified: Date
}

export interface StoredObject extends ObjectInfo {
  body: Uint8Array
}
