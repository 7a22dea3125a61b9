import { RegistryError } from '../errors/registry-error.js'
import { toDigest, type Digest } from '../grammar/digest.js'
import { FOREIGN_LAYER_TYPES, IMAGE_MANIFEST_TYPES, INDEX_TYPES, MEDIA_TYPES } from './media-types.js'

/** A descriptor the manifest references, already checked. */
export interface CheckedDescriptor {
  mediaType: string
  digest: Digest
  size: number
  /** An index child's `platform` (os and architecture), when it names both as strings. */
  platform?: ManifestPlatform
}

/** The part of an image index entry's `platform` the registry looks at. */
export interface ManifestPlatform {
  os: string
  architecture: string
}

/** What the registry needs to know about a pushed manifest. */
export interface ParsedManifest {
  /** The media type the manifest is stored and served with. */
  mediaType: string
  kind: 'image' | 'index'
  /** Blobs that must exist in the repository (config and distributable layers). */
  blobs: CheckedDescriptor[]
  /** Manifests that must exist in the repository (children of an index). */
  manifests: CheckedDescriptor[]
  subject?: CheckedDescriptor
  /** `artifactType`, or for image manifests without one, the config's media type. */
  artifactType?: string
  annotations?: Record<string, string>
}

const invalid = (message: string, detail?: unknown) =>
  new RegistryError('MANIFEST_INVALID', { message, ...(detail === undefined ? {} : { detail }) })

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

function toDescriptor(value: unknown, where: string): CheckedDescriptor & { urls?: unknown } {
  if (!isObject(value)) throw invalid(`${where} is not a descriptor`)
  const { mediaType, digest, size } = value
  if (typeof mediaType !== 'string' || mediaType.length === 0) throw invalid(`${where}.mediaType is missing`)
  const parsed = typeof digest === 'string' ? toDigest(digest) : undefined
  if (!parsed) throw invalid(`${where}.digest is not a valid digest`, { digest })
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size is not a size`)
  return { mediaType, digest: parsed, size, urls: value['urls'], ...toPlatform(value['platform']) }
}

/** `{ platform }` when the value names an os and an architecture; an odd `platform` is not ours to refuse. */
function toPlatform(value: unknown): { platform?: ManifestPlatform } {
  if (!isObject(value) || typeof value['os'] !== 'string' || typeof value['architecture'] !== 'string') return {}
  return { platform: { os: value['os'], architecture: value['architecture'] } }
}

function toAnnotations(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw invalid('annotations must map strings to strings')
  return value as Record<string, string>
}

/** Strips parameters (`; charset=utf-8`) and case from a Content-Type. */
export function toMediaType(contentType: string | null): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type ? type : undefined
}

/**
 * Parses and checks a pushed manifest: JSON, schemaVersion 2, a media type that agrees with the
 * Content-Type, well-formed descriptors. Docker schema 1 is refused (deprecated, unsigned pushes
 * cannot be verified). Does not touch storage: the caller checks that referenced content exists.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | null): ParsedManifest {
  let doc: unknown
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw invalid('manifest is not valid JSON')
  }
  if (!isObject(doc)) throw invalid('manifest is not a JSON object')
  const declared = toMediaType(contentType)
  const bodyType = doc['mediaType']
  if (bodyType !== undefined && typeof bodyType !== 'string') throw invalid('mediaType must be a string')
  if (declared === MEDIA_TYPES.dockerSchema1 || declared === MEDIA_TYPES.dockerSchema1Signed || doc['schemaVersion'] === 1) {
    throw invalid('Docker schema 1 manifests are not supported')
  }
  if (doc['schemaVersion'] !== 2) throw invalid('schemaVersion must be 2')
  const known = (t: string | undefined) => t !== undefined && (IMAGE_MANIFEST_TYPES.has(t) || INDEX_TYPES.has(t))
  if (bodyType !== undefined && known(declared) && bodyType !== declared) {
    throw invalid(`the manifest's mediaType ${bodyType} does not match the Content-Type ${declared}`)
  }
  // The body's own mediaType wins; then a known Content-Type; then the shape of the document.
  const mediaType =
    bodyType ??
    (known(declared) ? declared! : Array.isArray(doc['manifests']) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest)
  if (!known(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`)

  const subject = doc['subject'] === undefined ? undefined : toDescriptor(doc['subject'], 'subject')
  const annotations = toAnnotations(doc['annotations'])
  const artifactType = doc['artifactType']
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid('artifactType must be a string')

  if (INDEX_TYPES.has(mediaType)) {
    const list = doc['manifests']
    if (!Array.isArray(list)) throw invalid('an index needs a manifests array')
    const manifests = list.map((m, i) => toDescriptor(m, `manifests[${i}]`))
    return {
      mediaType,
      kind: 'index',
      blobs: [],
      manifests: manifests.map(({ mediaType: t, digest, size, platform }) => ({ mediaType: t, digest, size, ...(platform ? { platform } : {}) })),
      ...(subject ? { subject } : {}),
      ...(artifactType ? { artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    }
  }

  const config = toDescriptor(doc['config'], 'config')
  const layerList = doc['layers']
  if (!Array.isArray(layerList)) throw invalid('an image manifest needs a layers array')
  const layers = layerList.map((l, i) => toDescriptor(l, `layers[${i}]`))
  const distributable = layers.filter((l) => !(FOREIGN_LAYER_TYPES.has(l.mediaType) && Array.isArray(l.urls)))
  return {
    mediaType,
    kind: 'image',
    blobs: [config, ...distributable].map(({ mediaType: t, digest, size }) => ({ mediaType: t, digest, size })),
    manifests: [],
    ...(subject ? { subject } : {}),
    artifactType: artifactType ?? config.mediaType,
    ...(annotations ? { annotations } : {}),
  }
}
