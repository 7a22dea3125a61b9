import { RegistryError } from '../../errors/registry-error.js'
import { toDigest, type Digest } from '../../grammar/digest.js'
import { toRangeHeader, type UploadRecord } from '../../uploads/upload-state.js'
import type { RequestContext } from '../context.js'
import { assertRepositoryName } from '../name-invalid.js'
import { toIncomingChunk } from '../request-headers.js'
import type { RegistryResponse } from '../registry-message.js'
import { respond } from '../respond.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function sessionHeaders(ctx: RequestContext, record: UploadRecord): Record<string, string> {
  return {
    Location: ctx.settings.location(ctx.request, `/v2/${record.repository}/blobs/uploads/${record.id}`),
    Range: toRangeHeader(record.size),
    'Docker-Upload-UUID': record.id,
    'Content-Length': '0',
  }
}

function committed(ctx: RequestContext, name: string, digest: Digest, size: number): RegistryResponse {
  ctx.emit('push', name, { kind: 'blob', digest: digest.value, size })
  return respond(201, {
    Location: ctx.settings.location(ctx.request, `/v2/${name}/blobs/${digest.value}`),
    'Docker-Content-Digest': digest.value,
    'Content-Length': '0',
  })
}

function queryDigest(url: URL, parameter: string, required: boolean): Digest | undefined {
  const value = url.searchParams.get(parameter)
  if (value === null) {
    if (required) throw new RegistryError('DIGEST_INVALID', { message: `the ${parameter} parameter is required` })
    return undefined
  }
  const digest = toDigest(value)
  if (!digest) throw new RegistryError('DIGEST_INVALID', { message: `malformed ${parameter}`, detail: { digest: value } })
  return digest
}

/** POST: cross-repository mount, monolithic upload, or a new upload session. */
async function startUpload(ctx: RequestContext, name: string): Promise<RegistryResponse> {
  const { url, stores } = ctx
  const mount = queryDigest(url, 'mount', false)
  const from = url.searchParams.get('from')
  if (mount && from !== null) {
    assertRepositoryName(from)
    // Without pull on the source, or without the blob there, a mount quietly becomes a normal upload.
    if (await ctx.allowed({ type: 'repository', name: from, actions: ['pull'] })) {
      // A mount adds the source blob's size at once: a quota refuses it before anything is linked.
      const source = stores.quotas.covers(name) ? await stores.blobs.linked(from, mount) : undefined
      if (source) await stores.quotas.admit(name, source.size, mount)
      const mounted = await stores.blobs.mount(name, from, mount)
      if (mounted) {
        ctx.emit('mount', name, { kind: 'blob', digest: mount.value, size: mounted.size, from })
        return respond(201, {
          Location: ctx.settings.location(ctx.request, `/v2/${name}/blobs/${mount.value}`),
          'Docker-Content-Digest': mount.value,
          'Content-Length': '0',
        })
      }
    }
  }
  const digest = queryDigest(url, 'digest', false)
  if (digest) {
    const location = await stores.uploads.monolithic(name, digest, toIncomingChunk(ctx.request))
    return committed(ctx, name, digest, location.size)
  }
  const record = await stores.uploads.start(name)
  const minChunk = stores.driver.capabilities.minChunkSize
  return respond(202, { ...sessionHeaders(ctx, record), ...(minChunk > 0 ? { 'OCI-Chunk-Min-Length': String(minChunk) } : {}) })
}

/** Every upload route: POST to start, PATCH a chunk, PUT to finish, GET status, DELETE to cancel. */
export async function handleUpload(ctx: RequestContext, name: string, id: string | undefined): Promise<RegistryResponse> {
  const { request, stores } = ctx
  if (id === undefined) {
    if (request.method !== 'POST') throw new RegistryError('UNSUPPORTED', { message: 'method not allowed' })
    return startUpload(ctx, name)
  }
  if (request.method === 'POST') throw new RegistryError('UNSUPPORTED', { message: 'method not allowed' })
  if (!UUID.test(id)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { id } })
  switch (request.method) {
    case 'GET': {
      const record = await stores.uploads.status(name, id)
      const { 'Content-Length': _none, ...headers } = sessionHeaders(ctx, record)
      return respond(204, headers)
    }
    case 'PATCH': {
      const record = await stores.uploads.append(name, id, toIncomingChunk(request))
      return respond(202, sessionHeaders(ctx, record))
    }
    case 'PUT': {
      const digest = queryDigest(ctx.url, 'digest', true)!
      const location = await stores.uploads.finish(name, id, digest, toIncomingChunk(request))
      return committed(ctx, name, digest, location.size)
    }
    case 'DELETE': {
      await stores.uploads.cancel(name, id)
      return respond(204)
    }
    default:
      throw new RegistryError('UNSUPPORTED', { message: 'method not allowed' })
  }
}
