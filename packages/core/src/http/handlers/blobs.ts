import { isDriverError } from '../../driver/driver-error.js'
import { RegistryError } from '../../errors/registry-error.js'
import type { BlobLocation } from '../../stores/blob-store.js'
import { SMALL_BLOB_BYTES } from '../../stores/small-blob-cache.js'
import type { Digest } from '../../grammar/digest.js'
import { toReadRange } from '../../grammar/ranges.js'
import type { RequestContext } from '../context.js'
import type { RegistryResponse } from '../registry-message.js'
import { respond } from '../respond.js'

/** Opens a blob's bytes; bytes gone from storage (removed by hand, or a lost disk) are BLOB_UNKNOWN, not a 500. */
async function openBlob(ctx: RequestContext, location: BlobLocation, digest: Digest, offset?: number, length?: number) {
  try {
    return await ctx.stores.blobs.open(location, {
      ...(offset === undefined ? {} : { offset }),
      ...(length === undefined ? {} : { length }),
      ...(ctx.request.signal ? { signal: ctx.request.signal } : {}),
    })
  } catch (error) {
    if (isDriverError(error, 'not-found')) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
    throw error
  }
}

/** A small blob's bytes (from memory when cached), checked against the size its link promises. */
async function readSmallBlob(ctx: RequestContext, location: BlobLocation, digest: Digest): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  let bytes: Uint8Array
  try {
    bytes = await ctx.stores.blobs.readSmall(location)
  } catch (error) {
    if (isDriverError(error, 'not-found')) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
    throw error
  }
  // Stored bytes never change size; if they somehow did, stream them and let the length check fail loudly.
  return bytes.length === location.size ? bytes : openBlob(ctx, location, digest)
}

/** GET and HEAD of a blob, with single-range reads (206) and optional redirect to the storage. */
export async function getBlob(ctx: RequestContext, name: string, digest: Digest): Promise<RegistryResponse> {
  const { request, stores, settings } = ctx
  const location = await stores.blobs.linked(name, digest)
  if (!location) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest.value,
    ETag: `"${digest.value}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  }
  // The ETag is the digest, so a cached copy is always still good: answer 304 as manifests do.
  if (request.headers.get('if-none-match') === headers.ETag) return respond(304, { ...headers, 'Content-Length': '0' })
  if (request.method === 'HEAD') {
    return respond(200, { ...headers, 'Content-Length': String(location.size) })
  }
  if (settings.redirect && stores.driver.presignGet) {
    const url = await stores.driver.presignGet(location.key, settings.redirect.expiresInSeconds)
    ctx.emit('pull', name, { kind: 'blob', digest: digest.value, size: location.size })
    return respond(307, { Location: url, 'Docker-Content-Digest': digest.value, 'Content-Length': '0' })
  }
  const range = toReadRange(request.headers.get('range'), location.size)
  if (range.kind === 'unsatisfiable') {
    return respond(416, { 'Docker-Content-Digest': digest.value, 'Content-Range': `bytes */${location.size}`, 'Content-Length': '0' })
  }
  const pulled = () => ctx.emit('pull', name, { kind: 'blob', digest: digest.value, size: location.size })
  if (range.kind === 'partial') {
    const length = range.end - range.start + 1
    const body = await openBlob(ctx, location, digest, range.start, length)
    pulled()
    return respond(
      206,
      { ...headers, 'Content-Length': String(length), 'Content-Range': `bytes ${range.start}-${range.end}/${location.size}` },
      body,
    )
  }
  const body = location.size === 0 ? null : location.size <= SMALL_BLOB_BYTES ? await readSmallBlob(ctx, location, digest) : await openBlob(ctx, location, digest)
  pulled()
  return respond(200, { ...headers, 'Content-Length': String(location.size) }, body)
}

/** DELETE of a blob: removes the repository's link (202), or 405 when deletion is off. */
export async function deleteBlob(ctx: RequestContext, name: string, digest: Digest): Promise<RegistryResponse> {
  if (!ctx.settings.deleteEnabled) throw new RegistryError('UNSUPPORTED', { message: 'deletion is disabled' })
  if (!(await ctx.stores.blobs.unlink(name, digest))) {
    throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: digest.value } })
  }
  ctx.emit('delete', name, { kind: 'blob', digest: digest.value })
  return respond(202, { 'Content-Length': '0' })
}
