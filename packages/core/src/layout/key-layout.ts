/**
 * The storage key layout: every key the registry reads or writes, in one place.
 *
 * ```
 * blobs/<alg>/<hh>/<hex>                          blob record: JSON {size, key}, create-only
 * data/<upload-id>                                blob bytes, written by an upload and never moved
 * uploads/<upload-id>                             upload session record (JSON), compare-and-swap
 * catalog/<repository>                            marker: the repository exists (for _catalog paging)
 * migrations/registry2                            `migrate`'s checkpoint and result (JSON), see registry2/
 * docker/registry/v2/...                          registry:2's tree, read-only (registry2/registry2-layout.ts)
 * repositories/<repository>/
 *   _layers/<alg>/<hex>                           link: blob readable through this repository, JSON {size, key}
 *   _manifests/revisions/<alg>/<hex>              manifest: "<media type>\n" + the exact pushed bytes
 *   _manifests/tags/<tag>                         tag: JSON {digest}, compare-and-swap
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
 */
import type { Digest } from "../grammar/digest.js"

export const keys = {
  blobRecord: (d: Digest) => `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  blobData: (uploadId: string) => `data/${uploadId}`,
  upload: (uploadId: string) => `uploads/${uploadId}`,
  uploadsPrefix: () => 'uploads/',
  catalogPrefix: () => 'catalog/',
  registry2Migration: () => 'migrations/registry2',
  catalogEntry: (repository: string) => `catalog/${repository}`,
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
