import { createHash } from 'node:crypto'
import { RegistryError } from '../../errors/registry-error.js'
import { digestOf, looksLikeDigest, toDigest, type Digest } from '../../grammar/digest.js'
import { isTag } from '../../grammar/name.js'
import { parseManifest } from '../../manifests/parse-manifest.js'
import type { RequestContext } from '../context.js'
import { readLimited } from '../request-headers.js'
import type { RegistryResponse } from '../registry-message.js'
import { respond } from '../respond.js'

/** A manifest reference from the path: a digest, or a tag. */
type Reference = { digest: Digest; tag?: undefined } | { tag: string; digest?: undefined }

/** Parses a reference; malformed digests are DIGEST_INVALID, malformed tags `onBadTag`. */
function toReference(reference: string, onBadTag: () => RegistryError): Reference {
  if (looksLikeDigest(reference)) {
    const digest = toDigest(reference)
    if (!digest) throw new RegistryError('DIGEST_INVALID', { detail: { digest: reference } })
    return { digest }
  }
  if (!isTag(reference)) throw onBadTag()
  return { tag: reference }
}

const unknownManifest = (reference: string) => new RegistryError('MANIFEST_UNKNOWN', { detail: { reference } })

async function resolve(ctx: RequestContext, name: string, ref: Reference): Promise<Digest | undefined> {
  if (ref.digest) return ref.digest
  const target = await ctx.stores.tags.resolve(name, ref.tag)
  return target === undefined ? undefined : toDigest(target)
}

/** GET and HEAD of a manifest by tag or digest; the stored bytes and media type, unchanged. */
export async function getManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const ref = toReference(reference, () => unknownManifest(reference))
  const digest = await resolve(ctx, name, ref)
  const manifest = digest && (await ctx.stores.manifests.get(name, digest))
  if (!digest || !manifest) throw unknownManifest(reference)
  const etag = `"${digest.value}"`
  const headers = {
    'Content-Type': manifest.mediaType,
    'Docker-Content-Digest': digest.value,
    ETag: etag,
    'Content-Length': String(manifest.bytes.length),
  }
  if (ctx.request.headers.get('if-none-match') === etag) return respond(304, { ...headers, 'Content-Length': '0' })
  if (ctx.request.method === 'HEAD') return respond(200, headers)
  ctx.emit('pull', name, { kind: 'manifest', digest: digest.value, mediaType: manifest.mediaType, size: manifest.bytes.length, ...(ref.tag ? { tag: ref.tag } : {}) })
  return respond(200, headers, manifest.bytes)
}

/** PUT of a manifest: validated, stored byte-for-byte, tagged (path tag and `?tag=`), referrers indexed. */
export async function putManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const { request, stores, url } = ctx
  const badTag = (tag: string) => new RegistryError('MANIFEST_INVALID', { message: 'invalid tag', detail: { tag } })
  const ref = toReference(reference, () => badTag(reference))
  const extraTags = url.searchParams.getAll('tag')
  for (const tag of extraTags) if (!isTag(tag)) throw badTag(tag)

  const bytes = await readLimited(request, ctx.settings.maxManifestBytes)
  const parsed = parseManifest(bytes, request.headers.get('content-type'))
  const algorithm = ref.digest?.algorithm ?? 'sha256'
  const digest = digestOf(algorithm, createHash(algorithm).update(bytes).digest('hex'))
  if (ref.digest && ref.digest.hex !== digest.hex) {
    throw new RegistryError('DIGEST_INVALID', { message: 'the manifest does not match the digest in the path', detail: { digest: ref.digest.value } })
  }

  const missing = await Promise.all([
    ...parsed.blobs.map(async (d) => ((await stores.blobs.linked(name, d.digest)) ? undefined : d.digest.value)),
    ...parsed.manifests.map(async (d) => ((await stores.manifests.exists(name, d.digest)) ? undefined : d.digest.value)),
  ])
  const firstMissing = missing.find((m) => m !== undefined)
  if (firstMissing) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest: firstMissing } })

  await stores.manifests.put(name, digest, { mediaType: parsed.mediaType, bytes })
  await stores.catalog.ensure(name)
  const tags = [...(ref.tag ? [ref.tag] : []), ...extraTags]
  for (const tag of tags) await stores.tags.set(name, tag, digest.value)
  const headers: Record<string, string> = {
    Location: ctx.settings.location(request, `/v2/${name}/manifests/${digest.value}`),
    'Docker-Content-Digest': digest.value,
    'Content-Length': '0',
  }
  if (parsed.subject) {
    await stores.referrers.add(name, parsed.subject.digest, digest, {
      mediaType: parsed.mediaType,
      digest: digest.value,
      size: bytes.length,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
    })
    headers['OCI-Subject'] = parsed.subject.digest.value
  }
  const target = { kind: 'manifest' as const, digest: digest.value, mediaType: parsed.mediaType, size: bytes.length }
  if (tags.length === 0) ctx.emit('push', name, target)
  for (const tag of tags) ctx.emit('push', name, { ...target, tag })
  return respond(201, headers)
}

/** DELETE by digest removes the revision, its tags and its referrer entry; by tag, only the tag. */
export async function deleteManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const { stores } = ctx
  if (!ctx.settings.deleteEnabled) throw new RegistryError('UNSUPPORTED', { message: 'deletion is disabled' })
  const ref = toReference(reference, () => unknownManifest(reference))
  if (ref.tag !== undefined) {
    if (!(await stores.tags.delete(name, ref.tag))) throw unknownManifest(reference)
    ctx.emit('delete', name, { kind: 'tag', tag: ref.tag })
    return respond(202, { 'Content-Length': '0' })
  }
  const manifest = await stores.manifests.get(name, ref.digest)
  if (!manifest) throw unknownManifest(reference)
  for (const tag of await stores.tags.pointingAt(name, ref.digest.value)) await stores.tags.delete(name, tag)
  try {
    const subject = parseManifest(manifest.bytes, manifest.mediaType).subject
    if (subject) await stores.referrers.remove(name, subject.digest, ref.digest)
  } catch {
    // A stored manifest always parsed when it was pushed; nothing to unindex if it no longer does.
  }
  await stores.manifests.delete(name, ref.digest)
  ctx.emit('delete', name, { kind: 'manifest', digest: ref.digest.value, mediaType: manifest.mediaType })
  return respond(202, { 'Content-Length': '0' })
}
