import type { Viewer } from './viewer.js'
import { mapLimited } from './http-util.js'
import { headThenRead, readBlobQuietly } from './quiet-reads.js'

type Json = Record<string, unknown>

/** A descriptor as the UI shows it. */
export interface Descriptor {
  digest: string
  mediaType: string
  size: number
  platform?: string
  artifactType?: string
  annotations?: Record<string, string>
}

/** A manifest fetched through /v2, with what the UI derives from it. */
export interface FetchedManifest {
  digest: string
  mediaType: string
  /** `image`, `index` (or Docker manifest list) or `artifact` (an `artifactType`, or a config that is not an image's). */
  kind: 'image' | 'index' | 'artifact'
  artifactType?: string
  raw: string
  doc: Json
  bytes: number
}

/** What a config blob says about how an image runs. */
export interface ImageConfig {
  platform?: string
  created?: string
  env?: string[]
  cmd?: string[]
  entrypoint?: string[]
  workingDir?: string
  user?: string
  labels?: Record<string, string>
}

const IMAGE_CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'])
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'])
/** Config blobs larger than this are not read (a config is a few KiB; an artifact's may be anything). */
const MAX_CONFIG_BYTES = 1 << 20

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined)
const stringMap = (v: unknown): Record<string, string> | undefined =>
  isObject(v) && Object.values(v).every((s) => typeof s === 'string') ? (v as Record<string, string>) : undefined

/** `os/architecture[/variant]` of a platform object. */
export function toPlatform(v: unknown): string | undefined {
  if (!isObject(v) || typeof v['os'] !== 'string' || typeof v['architecture'] !== 'string') return undefined
  return [v['os'], v['architecture'], typeof v['variant'] === 'string' ? v['variant'] : ''].filter(Boolean).join('/')
}

/** A descriptor from a manifest's JSON; `undefined` when it is not one. */
export function toDescriptor(v: unknown): Descriptor | undefined {
  if (!isObject(v) || typeof v['digest'] !== 'string' || typeof v['size'] !== 'number') return undefined
  const platform = toPlatform(v['platform'])
  const annotations = stringMap(v['annotations'])
  return {
    digest: v['digest'],
    mediaType: typeof v['mediaType'] === 'string' ? v['mediaType'] : '',
    size: v['size'],
    ...(platform ? { platform } : {}),
    ...(typeof v['artifactType'] === 'string' ? { artifactType: v['artifactType'] } : {}),
    ...(annotations ? { annotations } : {}),
  }
}

/** Descriptors of a manifest's `layers` (or `blobs`) or an index's `manifests`. */
export function descriptors(doc: Json, field: 'layers' | 'manifests'): Descriptor[] {
  const list = doc[field]
  return Array.isArray(list) ? list.map(toDescriptor).filter((d): d is Descriptor => d !== undefined) : []
}

/** Fetches a manifest by tag or digest as the viewer; `undefined` when the registry answers 404. */
export async function fetchManifest(viewer: Viewer, repository: string, reference: string): Promise<FetchedManifest | undefined> {
  const { response: head, quiet } = await headThenRead(viewer, repository, reference)
  if (head.status === 404) return undefined
  if (!head.ok) throw new ViewError(head.status, `the registry answered ${head.status}`)
  let raw: string
  let digest: string
  let served: string
  if (quiet) {
    raw = new TextDecoder().decode(quiet.bytes)
    digest = quiet.digest
    served = quiet.mediaType
  } else {
    const response = await viewer.v2(`/v2/${repository}/manifests/${reference}`)
    if (response.status === 404) return undefined
    if (!response.ok) throw new ViewError(response.status, await registryMessage(response))
    raw = await response.text()
    digest = response.headers.get('docker-content-digest') ?? ''
    served = response.headers.get('content-type') ?? ''
  }
  const doc = JSON.parse(raw) as Json
  const mediaType = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : served
  const config = toDescriptor(doc['config'])
  const declared = typeof doc['artifactType'] === 'string' ? doc['artifactType'] : undefined
  const index = INDEX_TYPES.has(mediaType) || Array.isArray(doc['manifests'])
  const artifactType = declared ?? (!index && config && !IMAGE_CONFIG_TYPES.has(config.mediaType) ? config.mediaType : undefined)
  return {
    digest,
    mediaType,
    kind: index ? 'index' : artifactType ? 'artifact' : 'image',
    ...(artifactType ? { artifactType } : {}),
    raw,
    doc,
    bytes: new TextEncoder().encode(raw).byteLength,
  }
}

/** Reads an image's config blob (platform, created, env, cmd…); `undefined` for artifacts or when unreadable. */
export async function fetchConfig(viewer: Viewer, repository: string, manifest: FetchedManifest): Promise<ImageConfig | undefined> {
  const config = toDescriptor(manifest.doc['config'])
  if (!config || !IMAGE_CONFIG_TYPES.has(config.mediaType) || config.size > MAX_CONFIG_BYTES) return undefined
  let bytes = await readBlobQuietly(viewer, repository, config.digest, MAX_CONFIG_BYTES)
  if (!bytes) {
    // A registry that redirects blob reads answers 307; the config is then not shown rather than fetched elsewhere.
    const response = await viewer.v2(`/v2/${repository}/blobs/${config.digest}`, { accept: '*/*' })
    if (!response.ok) return undefined
    bytes = new Uint8Array(await response.arrayBuffer())
  }
  let doc: Json
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes)) as Json
  } catch {
    return undefined
  }
  const run = isObject(doc['config']) ? doc['config'] : {}
  const platform = toPlatform(doc)
  const out: ImageConfig = {}
  if (platform) out.platform = platform
  if (typeof doc['created'] === 'string') out.created = doc['created']
  const env = strings(run['Env'])
  const cmd = strings(run['Cmd'])
  const entrypoint = strings(run['Entrypoint'])
  const labels = stringMap(run['Labels'])
  if (env) out.env = env
  if (cmd) out.cmd = cmd
  if (entrypoint) out.entrypoint = entrypoint
  if (labels) out.labels = labels
  if (typeof run['WorkingDir'] === 'string' && run['WorkingDir']) out.workingDir = run['WorkingDir']
  if (typeof run['User'] === 'string' && run['User']) out.user = run['User']
  return out
}

/** Compressed size: config plus layers for a manifest; for an index, the sum over its children. */
export async function compressedSize(viewer: Viewer, repository: string, manifest: FetchedManifest): Promise<number> {
  if (manifest.kind !== 'index') {
    const config = toDescriptor(manifest.doc['config'])
    return (config?.size ?? 0) + descriptors(manifest.doc, 'layers').reduce((sum, d) => sum + d.size, 0)
  }
  const children = descriptors(manifest.doc, 'manifests')
  const sizes = await mapLimited(children, 8, async (child) => {
    const fetched = await fetchManifest(viewer, repository, child.digest).catch(() => undefined)
    return fetched && fetched.kind !== 'index' ? await compressedSize(viewer, repository, fetched) : 0
  })
  return sizes.reduce((a, b) => a + b, 0)
}

/** An answer the API passes on (status and message), e.g. the registry's 403 or 404. */
export class ViewError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The first error message of a /v2 error body, or the status. */
export async function registryMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: { code?: string; message?: string }[] }
    const first = body.errors?.[0]
    if (first) return `${first.code ?? 'ERROR'}: ${first.message ?? ''}`.trim()
  } catch {
    // not JSON: the status says enough
  }
  return `the registry answered ${response.status}`
}
