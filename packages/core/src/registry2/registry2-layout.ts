/**
 * registry:2's storage layout (distribution 2.x), which wharf reads in place and never writes (the
 * garbage collector removes what no tag reaches once it is migrated: layout/garbage-collection.md).
 * Paths are relative to the storage root (fs `rootdirectory`, or the S3/Azure `rootdirectory` prefix);
 * wharf's own keys (`layout/key-layout.ts`) live beside them under the same root and never start
 * with `docker/`, so the two trees cannot collide.
 *
 * ```
 * docker/registry/v2/
 *   blobs/sha256/<hh>/<hex>/data                   blob bytes (manifests are blobs too), immutable
 *   repositories/<name>/                          <name> may be nested: a/b/c
 *     _layers/sha256/<hex>/link                   "sha256:<hex>": blob readable through the repository
 *     _manifests/revisions/sha256/<hex>/link      "sha256:<hex>": manifest pushed to the repository
 *     _manifests/tags/<tag>/current/link          "sha256:<hex>": what the tag points at now
 *     _manifests/tags/<tag>/index/sha256/<hex>/link   every digest the tag ever pointed at
 *     _uploads/<uuid>/{data,startedat,hashstates/..}  upload in progress (not resumable by wharf)
 * ```
 *
 * What registry:2's own deletes leave: `DELETE` of a manifest removes its revision link and every
 * tag directory pointing at it; a tag delete removes the tag directory. Blob bytes are only removed
 * by its offline garbage collector. A `link` file holds the digest as text, no newline.
 */
import type { Digest } from '../grammar/digest.js'

export const REGISTRY2_ROOT = 'docker/registry/v2'

export const registry2Paths = {
  root: () => REGISTRY2_ROOT,
  blobsDir: () => `${REGISTRY2_ROOT}/blobs/sha256`,
  blobData: (d: Digest) => `${REGISTRY2_ROOT}/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}/data`,
  repositoriesDir: () => `${REGISTRY2_ROOT}/repositories`,
  repositoryDir: (name: string) => `${REGISTRY2_ROOT}/repositories/${name}`,
  layerLink: (name: string, d: Digest) => `${REGISTRY2_ROOT}/repositories/${name}/_layers/${d.algorithm}/${d.hex}/link`,
  layersDir: (name: string) => `${REGISTRY2_ROOT}/repositories/${name}/_layers/sha256`,
  revisionLink: (name: string, d: Digest) => `${REGISTRY2_ROOT}/repositories/${name}/_manifests/revisions/${d.algorithm}/${d.hex}/link`,
  revisionsDir: (name: string) => `${REGISTRY2_ROOT}/repositories/${name}/_manifests/revisions/sha256`,
  tagsDir: (name: string) => `${REGISTRY2_ROOT}/repositories/${name}/_manifests/tags`,
  tagLink: (name: string, tag: string) => `${REGISTRY2_ROOT}/repositories/${name}/_manifests/tags/${tag}/current/link`,
  uploadsDir: (name: string) => `${REGISTRY2_ROOT}/repositories/${name}/_uploads`,
} as const

/** Whether a storage key points into registry:2's tree (a blob record may point at its `data`). */
export function isRegistry2Key(key: string): boolean {
  return key.startsWith(`${REGISTRY2_ROOT}/`)
}
