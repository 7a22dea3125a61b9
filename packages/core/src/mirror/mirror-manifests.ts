import { createHash } from 'node:crypto'
import { RegistryError, isRegistryError } from '../errors/registry-error.js'
import { digestOf, toDigest, type Digest } from '../grammar/digest.js'
import type { Stores } from '../http/context.js'
import { MEDIA_TYPES } from '../manifests/media-types.js'
import { parseManifest } from '../manifests/parse-manifest.js'
import { UpstreamError, type UpstreamClient } from './upstream-client.js'
import type { MirrorTarget } from './upstream-selection.js'

/** Every manifest type wharf stores: the mirror keeps what the upstream has, whatever the client asked. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest].join(', ')

/** What a tag re-validation found. */
export type TagOutcome = 'unchanged' | 'fetched' | 'unknown'

/** Fetching and storing manifests for one mirror; tags are stored through the manifest index like a push. */
export interface ManifestFetcher {
  /** Fetches `reference` (a digest, or the tag whose digest the upstream did not name) and stores it with `tags`; false when the upstream has none. */
  fetchAndStore(target: MirrorTarget, client: UpstreamClient, reference: string, expected: Digest | undefined, tags: string[]): Promise<{ digest: Digest; size: number } | undefined>
  /** A conditional HEAD of the tag upstream; fetches and re-tags when it moved. */
  revalidate(target: MirrorTarget, client: UpstreamClient, tag: string, current: string | undefined): Promise<TagOutcome>
}

export function createManifestFetcher(stores: Stores, maxBytes: number): ManifestFetcher {
  async function read(target: MirrorTarget, client: UpstreamClient, reference: string) {
    const answer = await client.request('GET', `/v2/${target.remote}/manifests/${reference}`, target.remote, { Accept: MANIFEST_ACCEPT })
    if (answer.status === 404) {
      answer.discard()
      return undefined
    }
    const declared = Number(answer.headers.get('content-length') ?? '0')
    if (declared > maxBytes) {
      answer.discard()
      throw new UpstreamError('too-large', `the upstream manifest has ${declared} bytes, more than ${maxBytes}`)
    }
    const parts: Uint8Array[] = []
    let size = 0
    for await (const chunk of answer.chunks()) {
      size += chunk.length
      if (size > maxBytes) throw new UpstreamError('too-large', `the upstream manifest is larger than ${maxBytes} bytes`)
      parts.push(chunk)
    }
    return { bytes: Buffer.concat(parts), contentType: answer.headers.get('content-type'), named: answer.headers.get('docker-content-digest') }
  }

  const fetcher: ManifestFetcher = {
    async fetchAndStore(target, client, reference, expected, tags) {
      const got = await read(target, client, reference)
      if (!got) return undefined
      const algorithm = expected?.algorithm ?? 'sha256'
      const digest = digestOf(algorithm, createHash(algorithm).update(got.bytes).digest('hex'))
      // By digest the bytes must hash to it; by tag, to the digest the upstream named (if it did).
      const named = expected ?? (got.named ? toDigest(got.named) : undefined)
      if (named && named.algorithm === digest.algorithm && named.hex !== digest.hex) {
        throw new UpstreamError('digest-mismatch', `the upstream manifest does not match ${named.value}`)
      }
      let parsed
      try {
        parsed = parseManifest(got.bytes, got.contentType)
      } catch (error) {
        if (isRegistryError(error)) throw new UpstreamError('invalid', `the upstream manifest is unusable: ${error.message}`)
        throw error
      }
      const referrer = parsed.subject && {
        subject: parsed.subject.digest,
        descriptor: {
          mediaType: parsed.mediaType,
          digest: digest.value,
          size: got.bytes.length,
          ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
          ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
        },
      }
      await stores.catalog.ensure(target.local)
      // The blobs it names are fetched when pulled: no reference check, as a sparse push.
      await stores.index.push(target.local, digest, { mediaType: parsed.mediaType, bytes: got.bytes }, { tags, ...(referrer ? { referrer } : {}) })
      return { digest, size: got.bytes.length }
    },

    async revalidate(target, client, tag, current) {
      const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT }
      if (current) headers['If-None-Match'] = `"${current}"`
      const head = await client.request('HEAD', `/v2/${target.remote}/manifests/${tag}`, target.remote, headers)
      head.discard()
      if (head.status === 404) return 'unknown'
      const upstream = head.status === 304 ? current : (head.headers.get('docker-content-digest') ?? undefined)
      if (upstream !== undefined && upstream === current) return 'unchanged'
      const digest = upstream === undefined ? undefined : toDigest(upstream)
      const known = digest && (await stores.manifests.get(target.local, digest))
      if (digest && known) {
        // Moved back to a manifest already cached: only the tag changes.
        await stores.index.push(target.local, digest, known, { tags: [tag] })
        return 'fetched'
      }
      const stored = await fetcher.fetchAndStore(target, client, digest ? digest.value : tag, digest, [tag])
      return stored ? 'fetched' : 'unknown'
    },
  }
  return fetcher
}

/** The error a client gets when the upstream failed and nothing cached can answer. */
export function toClientError(error: unknown): unknown {
  if (!(error instanceof UpstreamError)) return error
  if (error.reason === 'too-large') return new RegistryError('DENIED', { message: error.message })
  return new RegistryError('UNAVAILABLE', { message: `upstream registry: ${error.message}` })
}
