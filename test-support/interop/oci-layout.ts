import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

const REF_NAME = 'org.opencontainers.image.ref.name'

/** A content descriptor as OCI manifests and index.json carry them. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { architecture: string; os: string; variant?: string }
  annotations?: Record<string, string>
}

interface ManifestLike {
  mediaType?: string
  manifests?: Descriptor[]
  config?: Descriptor
  layers?: Descriptor[]
}

/** Path of a blob inside an OCI image layout. */
export function toBlobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return join(layout, 'blobs', algorithm!, hex!)
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Of(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** The index.json entry of an OCI layout tagged `tag` (its ref.name annotation); throws when absent. */
export async function readTaggedDescriptor(layout: string, tag: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] }
  const found = index.manifests.find((d) => d.annotations?.[REF_NAME] === tag)
  if (!found) throw new Error(`${layout} has no image tagged ${tag}`)
  return found
}

/** Parses the JSON blob `digest` of `layout` (a manifest, an index or a config). */
export async function readJsonBlob<T = ManifestLike>(layout: string, digest: string): Promise<T> {
  return JSON.parse(await readFile(toBlobPath(layout, digest), 'utf8')) as T
}

/**
 * Every blob reachable from `digest` (an image index, an image manifest, or a Docker schema 2
 * manifest or list) in `layout`, the root included: what a registry copy of that image must hold.
 */
export async function toReachableDigests(layout: string, digest: string): Promise<Set<string>> {
  const seen = new Set<string>([digest])
  const manifest = await readJsonBlob(layout, digest)
  for (const child of manifest.manifests ?? []) {
    for (const d of await toReachableDigests(layout, child.digest)) seen.add(d)
  }
  if (manifest.config) seen.add(manifest.config.digest)
  for (const layer of manifest.layers ?? []) seen.add(layer.digest)
  return seen
}

/**
 * Reads each blob of `digests` from `layout` and returns those whose bytes do not hash to their name
 * (a missing file throws): an empty list means the layout holds exactly those bytes.
 */
export async function findCorruptBlobs(layout: string, digests: Iterable<string>): Promise<string[]> {
  const corrupt: string[] = []
  for (const digest of digests) {
    if (sha256Of(await readFile(toBlobPath(layout, digest))) !== digest) corrupt.push(digest)
  }
  return corrupt
}
