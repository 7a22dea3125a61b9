/**
 * A storage driver written the way a wharf user would write one: plain JavaScript against the
 * contract in @wharf/core (`StorageDriver`, documented method by method in core's
 * `src/driver/storage-driver.ts`). It keeps objects in a Map, like core's memory driver, but differs
 * in how it meets the contract:
 *
 * - listing uses a sorted key index and binary search, so a page costs O(log n + page size), as the
 *   contract asks ("one backend list call per page, never a walk of the whole store");
 * - reads are pull-based Web streams handing out 64 KiB views, so a slow client holds nothing extra;
 * - a resumable write is a list of chunks; an append first cuts it back to the size its state
 *   acknowledges, which makes appends idempotent per offset as the contract requires.
 *
 * Everything lives in this process's memory, so "any process may continue a write" means any caller
 * holding this driver object. Use it for tests, or as the starting point of a driver of your own.
 *
 * @typedef {import('@wharf/core').StorageDriver} StorageDriver
 * @typedef {import('@wharf/core').WriteState} WriteState
 */
import { randomUUID } from 'node:crypto'
import { DriverError } from '@wharf/core'

const READ_CHUNK = 64 * 1024

/** @returns {StorageDriver} */
export function createSortedMapDriver() {
  /** @type {Map<string, { body: Uint8Array, etag: string, modified: Date }>} */
  const objects = new Map()
  /** Every key of `objects`, kept in lexical order. @type {string[]} */
  const index = []
  /** Staged bytes of resumable writes, by write id. @type {Map<string, Uint8Array[]>} */
  const writes = new Map()
  const instance = randomUUID().slice(0, 8)
  let version = 0

  /** Position of the first key >= `key` in the sorted index. */
  const lowerBound = (key) => {
    let low = 0
    let high = index.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (index[middle] < key) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Stores a value; the whole method is synchronous, so conditions checked just before hold. */
  const store = (key, body) => {
    if (!objects.has(key)) index.splice(lowerBound(key), 0, key)
    const entry = { body, etag: `"${instance}-${++version}"`, modified: new Date() }
    objects.set(key, entry)
    return entry
  }

  const remove = (key) => {
    if (!objects.delete(key)) return
    index.splice(lowerBound(key), 1)
  }

  const mustGet = (key) => {
    const entry = objects.get(key)
    if (!entry) throw new DriverError('not-found', `no object at ${key}`)
    return entry
  }

  const mustGetWrite = (state) => {
    const chunks = writes.get(String(state.id))
    if (!chunks) throw new DriverError('not-found', `no resumable write ${state.id}`)
    return chunks
  }

  /** Drops staged bytes beyond `size`: whatever a failed or abandoned append left behind. */
  const cutTo = (chunks, size) => {
    let kept = 0
    for (let i = 0; i < chunks.length; i++) {
      if (kept + chunks[i].length > size) {
        chunks[i] = chunks[i].subarray(0, size - kept)
        chunks.length = i + 1
        return
      }
      kept += chunks[i].length
    }
  }

  const concat = (chunks) => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    let at = 0
    for (const chunk of chunks) {
      out.set(chunk, at)
      at += chunk.length
    }
    return out
  }

  return {
    name: 'sorted-map',
    capabilities: { minChunkSize: 0, conditionalWrites: true, redirect: false },

    async get(key) {
      const entry = mustGet(key)
      return { body: entry.body, etag: entry.etag, size: entry.body.length, modified: entry.modified }
    },

    async put(key, body, options = {}) {
      const current = objects.get(key)
      if (options.ifNoneMatch === '*' && current) throw new DriverError('precondition-failed', `${key} exists`)
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) throw new DriverError('precondition-failed', `${key} changed`)
      // Copy: the caller may reuse its buffer after we return.
      return { etag: store(key, Uint8Array.from(body)).etag }
    },

    async stat(key) {
      const entry = objects.get(key)
      return entry && { size: entry.body.length, etag: entry.etag, modified: entry.modified }
    },

    async read(key, options = {}) {
      const { body } = mustGet(key)
      const start = options.offset ?? 0
      const end = options.length === undefined ? body.length : start + options.length
      let at = start
      const signal = options.signal
      return new ReadableStream(
        {
          start(controller) {
            signal?.addEventListener('abort', () => controller.error(signal.reason), { once: true })
          },
          // Called only when the consumer wants more: a slow reader slows the stream down.
          pull(controller) {
            if (signal?.aborted) return
            if (at >= end) return controller.close()
            const next = Math.min(at + READ_CHUNK, end)
            controller.enqueue(body.subarray(at, next))
            at = next
          },
        },
        { highWaterMark: 1 },
      )
    },

    async list(prefix, options = {}) {
      const limit = options.limit ?? 1000
      let at = lowerBound(prefix)
      if (options.startAfter !== undefined && options.startAfter >= prefix) {
        at = lowerBound(options.startAfter)
        if (index[at] === options.startAfter) at++
      }
      const keys = []
      while (at < index.length && index[at].startsWith(prefix) && keys.length < limit) keys.push(index[at++])
      return { keys, truncated: at < index.length && index[at].startsWith(prefix) }
    },

    async delete(key) {
      remove(key)
    },

    async deletePrefix(prefix) {
      const from = lowerBound(prefix)
      let to = from
      while (to < index.length && index[to].startsWith(prefix)) to++
      for (const key of index.splice(from, to - from)) objects.delete(key)
    },

    async startWrite(key) {
      const id = randomUUID()
      writes.set(id, [])
      return { key, size: 0, id }
    },

    async appendWrite(state, data, options = {}) {
      const chunks = mustGetWrite(state)
      cutTo(chunks, state.size)
      let size = state.size
      for await (const chunk of data) {
        if (options.signal?.aborted) throw new DriverError('unavailable', 'append aborted', { cause: options.signal.reason })
        chunks.push(Uint8Array.from(chunk))
        size += chunk.length
      }
      return { ...state, size }
    },

    async finishWrite(state) {
      const chunks = mustGetWrite(state)
      cutTo(chunks, state.size)
      store(state.key, concat(chunks))
      writes.delete(String(state.id))
    },

    async abortWrite(state) {
      writes.delete(String(state.id))
    },

    async close() {
      objects.clear()
      index.length = 0
      writes.clear()
    },
  }
}
