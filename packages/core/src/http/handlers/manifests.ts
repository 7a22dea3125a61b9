import { createHash } from 'node:crypto'
import { RegistryError } from '../../errors/registry-error.js'
import { digestOf, looksLikeDigest, toDigest, type Digest } from '../../grammar/digest.js'
import { isTag } from '../../grammar/name.js'
import { findMissingReference } from '../../manifests/missing-references.js'
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

/** GET and HEAD of a manifest by tag or digest; the stored bytes and media type, unchanged. */
export async function getManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const ref = toReference(reference, () => unknownManifest(reference))
  // By tag: the tag and its revision in one pass (see resolveTagManifest); by digest: the revision.
  const found = ref.digest
    ? { digest: ref.digest, manifest: await ctx.stores.manifests.get(name, ref.digest) }
    : await ctx.stores.index.resolveTagManifest(name, ref.tag)
  const digest = found?.digest
  const manifest = found?.manifest
  if (!digest || !manifest) throw unknownManifest(reference)
  const etag = `"${digest.value}"`
  const headers = {
    'Content-Type': manifest.mediaType,
    'Docker-Content-Digest': digest.value,
    ETag: etag,
    'Content-Length': String(manifest.bytes.length),
  }
  if (ctx.request.headers.get('if-none-match') === etag) {
    headers['Content-Length'] = '0'
    return respond(304, headers)
  }
  if (ctx.request.method === 'HEAD') return respond(200, headers)
  ctx.emit('pull', name, { kind: 'manifest', digest: digest.value, mediaType: manifest.mediaType, size: manifest.bytes.length, ...(ref.tag ? { tag: ref.tag } : {}) })
  return respond(200, headers, manifest.bytes)
}

/**
 * Most `?tag=` parameters one manifest PUT may carry. Each tag is a storage write (and a check on
 * every later delete of the manifest); a thousand took 15 s. 400 MANIFEST_INVALID beyond.
 */
export const MAX_TAGS_PER_PUT = 100

/** PUT of a manifest: validated, stored byte-for-byte, tagged (path tag and `?tag=`), referrers indexed. */
export async function putManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const { request, stores, url } = ctx
  const badTag = (tag: string) => new RegistryError('MANIFEST_INVALID', { message: 'invalid tag', detail: { tag } })
  const ref = toReference(reference, () => badTag(reference))
  const extraTags = url.searchParams.getAll('tag')
  if (extraTags.length > MAX_TAGS_PER_PUT) {
    throw new RegistryError('MANIFEST_INVALID', { message: `at most ${MAX_TAGS_PER_PUT} tag parameters per PUT`, detail: { tags: extraTags.length, limit: MAX_TAGS_PER_PUT } })
  }
  for (const tag of extraTags) if (!isTag(tag)) throw badTag(tag)

  const bytes = await readLimited(request, ctx.settings.maxManifestBytes)
  const parsed = parseManifest(bytes, request.headers.get('content-type'))
  const algorithm = ref.digest?.algorithm ?? 'sha256'
  const digest = digestOf(algorithm, createHash(algorithm).update(bytes).digest('hex'))
  if (ref.digest && ref.digest.hex !== digest.hex) {
    throw new RegistryError('DIGEST_INVALID', { message: 'the manifest does not match the digest in the path', detail: { digest: ref.digest.value } })
  }

  const firstMissing = await findMissingReference(ctx, name, parsed)
  if (firstMissing) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest: firstMissing } })

  await stores.catalog.ensure(name)
  const tags = [...new Set([...(ref.tag ? [ref.tag] : []), ...extraTags])]
  const referrer = parsed.subject && {
    subject: parsed.subject.digest,
    descriptor: {
      mediaType: parsed.mediaType,
      digest: digest.value,
      size: bytes.length,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
    },
  }
  await stores.index.push(name, digest, { mediaType: parsed.mediaType, bytes }, { tags, ...(referrer ? { referrer } : {}) })
  const headers: Record<string, string> = {
    Location: ctx.settings.location(request, `/v2/${name}/manifests/${digest.value}`),
    'Docker-Content-Digest': digest.value,
    'Content-Length': '0',
  }
  // Distribution spec (main): one OCI-Tag per tag created from `?tag=`; a comma list is the same header.
  if (extraTags.length > 0) headers['OCI-Tag'] = [...new Set(extraTags)].join(', ')
  if (parsed.subject) headers['OCI-Subject'] = parsed.subject.digest.value
  const target = { kind: 'manifest' as const, digest: digest.value, mediaType: parsed.mediaType, size: bytes.length }
  if (tags.length === 0) ctx.emit('push', name, target)
  for (const tag of tags) ctx.emit('push', name, { ...target, tag })
  return respond(201, headers)
}

/** DELETE by digest removes the revision, its tags and its referrers entry; by tag, only the tag. */
export async function deleteManifest(ctx: RequestContext, name: string, reference: string): Promise<RegistryResponse> {
  const { stores } = ctx
  if (!ctx.settings.deleteEnabled) throw new RegistryError('UNSUPPORTED', { message: 'deletion is disabled' })
  const ref = toReference(reference, () => unknownManifest(reference))
  if (ref.tag !== undefined) {
    if (!(await stores.index.deleteTag(name, ref.tag))) throw unknownManifest(reference)
    ctx.emit('delete', name, { kind: 'tag', tag: ref.tag })
    return respond(202, { 'Content-Length': '0' })
  }
  // Tags and referrers entries go with the revision; manifest-index.ts says how races are settled.
  const manifest = await stores.index.deleteManifest(name, ref.digest)
  if (!manifest) throw unknownManifest(reference)
  ctx.emit('delete', name, { kind: 'manifest', digest: ref.digest.value, mediaType: manifest.mediaType })
  return respond(202, { 'Content-Length': '0' })
}
