/**
 * The storage key layout: every key the registry reads or writes, in one place.
 *
 * ```
 * blobs/<alg>/<hh>/<hex>                          blob record: JSON {size, key, nonce} or tombstone {deleted}
 * data/<upload-id>                                blob bytes, written by an upload and never moved
 * uploads/<upload-id>                             upload session record (JSON), compare-and-swap
 * catalog/<repository>                            marker: the repository exists (for _catalog paging)
 * usage/repositories/<repository>                usage record: JSON {bytes, blobs, nonce}, compare-and-swap (stores/usage-store.ts)
 * usage/total/<shard>                             a share of the total (each blob record once), compare-and-swap
 * usage/links/<repository>/_layers/<alg>/<hex>    charge marker: JSON {size, counted, nonce}, whether the link is counted
 * usage/blobs/<alg>/<hh>/<hex>                    charge marker of a blob record, counted in the total
 * migrations/registry2                            `migrate`'s checkpoint and result (JSON), see registry2/
 * pulls/<repository>                              last pull time per manifest digest: JSON {pulls: {digest: epoch ms}},
 *                                                 merged by compare-and-swap (retention/pull-recorder.ts)
 * docker/registry/v2/...                          registry:2's tree, never written; removed only by the collector
 *                                                 once migrated (registry2/registry2-layout.ts, garbage-collection.md)
 * repositories/<repository>/
 *   _layers/<alg>/<hex>                           link: blob readable through this repository, JSON {size, key, nonce}
 *                                                 or tombstone {deleted}
 *   _manifests/revisions/<alg>/<hex>              manifest: "<media type>\t<nonce>\n" + the exact pushed bytes,
 *                                                 or tombstone "\t<nonce>\n" (stores/manifest-index.ts)
 *   _manifests/tags/<tag>                         tag: JSON {digest, nonce}, tombstone {digest: null}
 *   _referrers/<alg>/<subject-hex>/<alg>-<hex>    referrer descriptor (JSON) of a manifest with a subject
 * ```
 *
 * Why it looks like this:
 * - Repository path components cannot start with `_` (OCI name grammar), so `_layers`, `_manifests`
 *   and `_referrers` never collide with a nested repository name.
 * - Blob bytes stay where the upload wrote them (`data/<upload-id>`); committing an upload writes the
 *   small `blobs/...` record that points at them, so commit time does not grow with blob size on S3
 *   or Azure, where a move is a copy.
 * - Tags, the catalog and referrers are each one ordered prefix listing, paged with a start-after
 *   cursor: no walk of the store.
 * - `<hh>` (first two hex digits) keeps directories small on filesystem drivers.
 * - Removal is a compare-and-swap to a tombstone, never a delete of the object, and every write
 *   carries a random nonce so its ETag is new: racing writers and the garbage collector then order
 *   themselves through ETags alone (stores/manifest-index.ts, layout/garbage-collection.md).
 */
import type { Digest } from "../grammar/digest.js"

export const keys = {
  blobRecord: (d: Digest) => `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  blobData: (uploadId: string) => `data/${uploadId}`,
  upload: (uploadId: string) => `uploads/${uploadId}`,
  uploadsPrefix: () => 'uploads/',
  catalogPrefix: () => 'catalog/',
  registry2Migration: () => 'migrations/registry2',
  pullRecord: (repository: string) => `pulls/${repository}`,
  usageRecordsPrefix: () => 'usage/repositories/',
  usageRecord: (repository: string) => `usage/repositories/${repository}`,
  usageTotal: (shard: number) => `usage/total/${shard}`,
  usageTotalPrefix: () => 'usage/total/',
  usageLinksPrefix: (repository: string) => `usage/links/${repository}/_layers/`,
  usageLink: (repository: string, d: Digest) => `usage/links/${repository}/_layers/${d.algorithm}/${d.hex}`,
  usageBlobsPrefix: () => 'usage/blobs/',
  usageBlob: (d: Digest) => `usage/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  catalogEntry: (repository: string) => `catalog/${repository}`,
  layersPrefix: (repository: string) => `repositories/${repository}/_layers/`,
  revisionsPrefix: (repository: string) => `repositories/${repository}/_manifests/revisions/`,
  blobRecordsPrefix: () => 'blobs/',
  blobDataPrefix: () => 'data/',
  layerLink: (repository: string, d: Digest) => `repositories/${repository}/_layers/${d.algorithm}/${d.hex}`,
  manifestRevision: (repository: string, d: Digest) =>
    `repositories/${repository}/_manifests/revisions/${d.algorithm}/${d.hex}`,
  tagsPrefix: (repository: string) => `repositories/${repository}/_manifests/tags/`,
  tag: (repository: string, tag: string) => `repositories/${repository}/_manifests/tags/${tag}`,
  referrersPrefix: (repository: string, subject: Digest) =>
    `repositories/${repository}/_referrers/${subject.algorithm}/${subject.hex}/`,
  referrer: (repository: string, subject: Digest, referrer: Digest) =>
    `repositories/${repository}/_referrers/${subject.algorithm}/${subject.hex}/${referrer.algorithm}-${referrer.hex}`,
} as const
