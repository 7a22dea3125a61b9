import type { ContainerClient } from '@azure/storage-blob'
import type { ListOptions, ListPage } from '@wharf/core'
import { toDriverError } from './azure-errors.js'

/** Azure returns at most 5,000 blobs per List Blobs call. */
const MAX_PAGE = 5000
/** Largest `limit` honoured: a page plus the two look-ahead entries must fit in one call. */
export const MAX_LIST_LIMIT = MAX_PAGE - 2

/**
 * One page of keys under `prefix` (full blob names; the caller strips its own folder), in Azure's
 * lexical order, strictly after `startAfter`.
 *
 * How the cursor maps onto Azure: List Blobs has no start-after, and its continuation marker is
 * opaque, so a key from the registry cannot be turned into a marker. Service version 2026-02-06
 * added `startFrom` (list from a name, inclusive), which the SDK sends: on Azure a page deep into a
 * large prefix is one call that begins at the cursor. We ask for `limit + 2` names (the cursor
 * itself may come back, and one more tells whether the page is the last), drop names `<=
 * startAfter`, and keep `limit`. A server that ignores `startFrom` (Azurite 3.35, Azure Stack) gets
 * the same answer, but by following markers from the start of the prefix: correct, slower for deep
 * cursors. Should a server return a short page with a marker, we follow the marker until the page
 * is full, so `truncated` is exact.
 */
export async function listKeys(container: ContainerClient, prefix: string, options: ListOptions = {}): Promise<ListPage> {
  const limit = Math.max(1, Math.min(options.limit ?? 1000, MAX_LIST_LIMIT))
  const { startAfter, signal } = options
  const keys: string[] = []
  let marker: string | undefined
  try {
    do {
      const pages = container
        .listBlobsFlat({ prefix, abortSignal: signal, ...(startAfter !== undefined ? { startFrom: startAfter } : {}) })
        .byPage({ maxPageSize: Math.min(MAX_PAGE, limit + 2), ...(marker ? { continuationToken: marker } : {}) })
      const page = (await pages.next()).value
      if (!page) break
      for (const item of page.segment.blobItems) {
        if (startAfter === undefined || item.name > startAfter) keys.push(item.name)
      }
      marker = page.continuationToken || undefined
    } while (marker && keys.length <= limit)
  } catch (error) {
    throw toDriverError(error, `list ${prefix}`)
  }
  return { keys: keys.slice(0, limit), truncated: keys.length > limit }
}

/**
 * Every key under `prefix`, page by page (for deleting a prefix, where a walk is inherent).
 * Yields arrays of up to 5,000 names.
 */
export async function* walkKeys(container: ContainerClient, prefix: string, signal?: AbortSignal): AsyncIterable<string[]> {
  try {
    for await (const page of container.listBlobsFlat({ prefix, abortSignal: signal }).byPage({ maxPageSize: MAX_PAGE })) {
      yield page.segment.blobItems.map((item) => item.name)
    }
  } catch (error) {
    throw toDriverError(error, `list ${prefix}`)
  }
}

/**
 * The driver's `listChildren`: one level under `prefix` (a full blob-name prefix ending with `/`)
 * with `listBlobsByHierarchy('/')`, one call per 5,000 entries. Blob names come back relative to
 * `prefix`, deeper names folded into `dir/` entries. Each page holds a contiguous run of the merged
 * lexical order, with blobs and prefixes each sorted, so merging per page keeps the whole in order.
 */
export async function* listChildren(container: ContainerClient, prefix: string, signal?: AbortSignal): AsyncGenerator<string> {
  const pages = container.listBlobsByHierarchy('/', { prefix, abortSignal: signal }).byPage({ maxPageSize: MAX_PAGE })
  for (;;) {
    let next
    try {
      next = await pages.next()
    } catch (error) {
      throw toDriverError(error, `list ${prefix}`)
    }
    if (next.done || !next.value) return
    const blobs = next.value.segment.blobItems.map((item) => item.name.slice(prefix.length))
    const dirs = (next.value.segment.blobPrefixes ?? []).map((item) => item.name.slice(prefix.length))
    let i = 0
    let j = 0
    while (i < blobs.length || j < dirs.length) {
      if (j >= dirs.length || (i < blobs.length && blobs[i]! <= dirs[j]!)) yield blobs[i++]!
      else yield dirs[j++]!
    }
  }
}
