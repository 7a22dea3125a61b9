import { randomUUID } from 'node:crypto'
import { DriverError } from './driver-error.js'
import type { ListOptions, ListPage, ObjectInfo, PutOptions, ReadOptions, StorageDriver, StoredObject, WriteState } from './storage-driver.js'

interface Entry {
  body: Uint8Array
  etag: string
  modified: Date
}

/** Options of {@link createMemoryDriver}. */
export interface MemoryDriverOptions {
  /** Pretend to have a minimum chunk size (to test clients of drivers such as S3). Default 0. */
  minChunkSize?: number
}

/**
 * A storage driver that keeps everything in this process's memory: for tests and throw-away
 * registries. Fulfils the whole contract, including conditional writes and resumable writes (whose
 * staged bytes live in a map keyed by write id, so the JSON state can be continued by any caller
 * holding the same driver object).
 */
export function createMemoryDriver(options: MemoryDriverOptions = {}): StorageDriver {
  const objects = new Map<string, Entry>()
  const staged = new Map<string, Uint8Array[]>()
  let sequence = 0

  const nextEtag = () => `"m${(++sequence).toString(36)}"`
  const info = (e: Entry): ObjectInfo => ({ size: e.body.length, etag: e.etag, modified: e.modified })
  const mustGet = (key: string): Entry => {
    const entry = objects.get(key)
    if (!entry) throw new DriverError('not-found', `no object at ${key}`, { driver: 'memory' })
    return entry
  }

  return {
    name: 'memory',
    capabilities: { minChunkSize: options.minChunkSize ?? 0, conditionalWrites: true, redirect: false },

    async get(key): Promise<StoredObject> {
      const entry = mustGet(key)
      return { ...info(entry), body: entry.body }
    },

    async put(key, body, opts: PutOptions = {}) {
      const current = objects.get(key)
      if (opts.ifNoneMatch === '*' && current) throw new DriverError('precondition-failed', `${key} exists`, { driver: 'memory' })
      if (opts.ifMatch !== undefined && current?.etag !== opts.ifMatch) {
        throw new DriverError('precondition-failed', `${key} changed`, { driver: 'memory' })
      }
      const entry = { body: Uint8Array.from(body), etag: nextEtag(), modified: new Date() }
      objects.set(key, entry)
      return { etag: entry.etag }
    },

    async stat(key) {
      const entry = objects.get(key)
      return entry ? info(entry) : undefined
    },

    async read(key, opts: ReadOptions = {}) {
      const body = mustGet(key).body
      const start = opts.offset ?? 0
      const end = opts.length === undefined ? body.length : Math.min(body.length, start + opts.length)
      let at = start
      const step = 64 * 1024
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= end) return controller.close()
          const next = Math.min(end, at + step)
          controller.enqueue(body.slice(at, next))
          at = next
        },
      })
    },

    async list(prefix, opts: ListOptions = {}): Promise<ListPage> {
      const limit = opts.limit ?? 1000
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(prefix) && (opts.startAfter === undefined || k > opts.startAfter))
        .sort()
      return { keys: keys.slice(0, limit), truncated: keys.length > limit }
    },

    async delete(key) {
      objects.delete(key)
    },

    async deletePrefix(prefix) {
      for (const key of [...objects.keys()]) if (key.startsWith(prefix)) objects.delete(key)
    },

    async startWrite(key) {
      const id = randomUUID()
      staged.set(id, [])
      return { key, size: 0, id }
    },

    async appendWrite(state, data) {
      const parts = staged.get(String(state['id']))
      if (!parts) throw new DriverError('not-found', 'no such write', { driver: 'memory' })
      const received: Uint8Array[] = []
      let added = 0
      for await (const chunk of data) {
        received.push(Uint8Array.from(chunk))
        added += chunk.length
      }
      // Idempotent per offset: drop whatever an abandoned append left past the acknowledged size.
      const kept = concat(parts, state.size)
      staged.set(String(state['id']), [kept, ...received])
      return { ...state, size: state.size + added }
    },

    async finishWrite(state: WriteState) {
      const id = String(state['id'])
      const parts = staged.get(id)
      if (!parts) throw new DriverError('not-found', 'no such write', { driver: 'memory' })
      objects.set(state.key, { body: concat(parts, state.size), etag: nextEtag(), modified: new Date() })
      staged.delete(id)
    },

    async abortWrite(state) {
      staged.delete(String(state['id']))
    },
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    if (at >= size) break
    const take = part.subarray(0, size - at)
    out.set(take, at)
    at += take.length
  }
  return out
}
