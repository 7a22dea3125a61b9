import type { ReadOptions } from '../driver/storage-driver.js'
import { toDigest, type Digest } from '../grammar/digest.js'
import { isTag } from '../grammar/name.js'
import { MEDIA_TYPES } from '../manifests/media-types.js'
import type { BlobLocation } from '../stores/blob-store.js'
import type { StoredManifest } from '../stores/manifest-store.js'
import { toArray, type Registry2Files } from './registry2-files.js'
import { registry2Paths as paths } from './registry2-layout.js'
import { walkRepositories } from './registry2-repositories.js'

/**
 * What registry:2's tree holds, read through {@link Registry2Files}: the answers wharf's stores fall
 * back to when wharf has no object of its own, and what `migrate` copies into wharf's records.
 * Read-only; every answer is read from storage (nothing cached), so registry:2 files changed by an
 * operator are seen at once.
 */
export interface Registry2Reader {
  /** Whether the storage root holds a registry:2 tree (a `repositories` or `blobs` directory). */
  detect(): Promise<boolean>
  /** The digest the tag's `current/link` names. */
  tag(repository: string, tag: string): Promise<string | undefined>
  /** The manifest when the repository has its revision link and the bytes exist. */
  revision(repository: string, digest: Digest): Promise<StoredManifest | undefined>
  /** The blob as readable through the repository (`_layers` link plus bytes). */
  layer(repository: string, digest: Digest): Promise<BlobLocation | undefined>
  /** The blob's bytes in the global store, whatever repository links them. */
  blob(digest: Digest): Promise<BlobLocation | undefined>
  hasRepository(repository: string): Promise<boolean>
  /** Every tag directory of the repository, sorted (registry:2 reads one repository's tags whole, too). */
  tags(repository: string): Promise<string[]>
  /** Repository names after `after`, in byte order, streamed. */
  repositories(after?: string): AsyncGenerator<string>
  /** Digests of the repository's `_layers` or `_manifests/revisions` links, streamed, unordered. */
  links(repository: string, kind: 'layers' | 'revisions'): AsyncGenerator<Digest>
  /**
   * Digests of the global store's blob directories, streamed, unordered, from listings alone (no
   * per-blob call, so the caller can look sizes up concurrently with {@link Registry2Reader.blob}).
   */
  blobs(): AsyncGenerator<Digest>
  /** How many `_uploads` entries the repository has (uploads left half done; wharf cannot resume them). */
  uploads(repository: string): Promise<number>
  open(key: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>
}

const decoder = new TextDecoder()
const HEX = /^[a-f0-9]{64}$/

/** The media type registry:2 would serve: the `mediaType` field, else what the document's shape says. */
export function toManifestMediaType(bytes: Uint8Array): string {
  try {
    const doc = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>
    if (typeof doc['mediaType'] === 'string' && doc['mediaType'] !== '') return doc['mediaType']
    if (doc['schemaVersion'] === 1) return 'signatures' in doc ? MEDIA_TYPES.dockerSchema1Signed : MEDIA_TYPES.dockerSchema1
    return Array.isArray(doc['manifests']) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest
  } catch {
    return MEDIA_TYPES.ociManifest
  }
}

export function createRegistry2Reader(files: Registry2Files): Registry2Reader {
  async function readLink(path: string): Promise<string | undefined> {
    const body = await files.get(path)
    const text = body && decoder.decode(body).trim()
    return text && toDigest(text) ? text : undefined
  }

  async function blob(digest: Digest): Promise<BlobLocation | undefined> {
    const key = paths.blobData(digest)
    const size = await files.size(key)
    return size === undefined ? undefined : { size, key }
  }

  async function firstChild(dir: string): Promise<boolean> {
    for await (const _ of files.children(dir)) return true
    return false
  }

  return {
    async detect() {
      return (await firstChild(paths.repositoriesDir())) || (await firstChild(paths.blobsDir()))
    },
    async tag(repository, tag) {
      return readLink(paths.tagLink(repository, tag))
    },
    async revision(repository, digest) {
      if ((await readLink(paths.revisionLink(repository, digest))) !== digest.value) return undefined
      const bytes = await files.get(paths.blobData(digest))
      return bytes && { mediaType: toManifestMediaType(bytes), bytes }
    },
    async layer(repository, digest) {
      if ((await readLink(paths.layerLink(repository, digest))) !== digest.value) return undefined
      return blob(digest)
    },
    blob,
    async hasRepository(repository) {
      for await (const child of files.children(paths.repositoryDir(repository))) {
        if (child === '_manifests' || child === '_layers') return true
      }
      return false
    },
    async tags(repository) {
      const names = (await toArray(files.children(paths.tagsDir(repository)))).filter(isTag)
      return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    },
    repositories: (after) => walkRepositories(files, after),
    async *links(repository, kind) {
      const dir = kind === 'layers' ? paths.layersDir(repository) : paths.revisionsDir(repository)
      for await (const hex of files.children(dir)) if (HEX.test(hex)) yield toDigest(`sha256:${hex}`)!
    },
    async *blobs() {
      for await (const hh of files.children(paths.blobsDir())) {
        if (!/^[a-f0-9]{2}$/.test(hh)) continue
        for await (const hex of files.children(`${paths.blobsDir()}/${hh}`)) {
          if (HEX.test(hex) && hex.startsWith(hh)) yield toDigest(`sha256:${hex}`)!
        }
      }
    },
    async uploads(repository) {
      return (await toArray(files.children(paths.uploadsDir(repository)))).length
    },
    open: (key, options) => files.read(key, options),
  }
}

