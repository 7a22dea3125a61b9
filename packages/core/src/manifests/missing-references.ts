/**
 * Which content a pushed manifest references must already be in the repository.
 *
 * By default all of it: an image manifest's config and distributable layers, an index's child
 * manifests; the first one missing refuses the push with MANIFEST_BLOB_UNKNOWN. "Sparse" manifests
 * (distribution-spec main, registry:3's `validation.manifests.indexes.platforms`) relax that for
 * registries that hold only part of a multi-platform image, e.g. mirrors of one platform. What is
 * accepted is stored and served byte for byte, by tag and by digest; the missing children or blobs
 * simply answer 404 until someone pushes them.
 */
import type { RequestContext } from '../http/context.js'
import type { ManifestPlatform, ParsedManifest } from './parse-manifest.js'

/**
 * How strictly references are checked (the `sparseManifests` option of `createRegistry`).
 * - `false` (the default): everything referenced must be present.
 * - `true`: nothing referenced needs to be present: neither an index's children nor an image
 *   manifest's config and layers (the same as `{ platforms: 'none', blobs: true }`).
 * - an object: see {@link SparseManifestOptions}.
 */
export type SparseManifests = boolean | SparseManifestOptions

/** Fine-grained sparse-manifest rules; each field defaults to the strict behaviour. */
export interface SparseManifestOptions {
  /**
   * Which children of an image index must be present, as registry:3's `platforms` setting:
   * - `'all'` (default): every child;
   * - `'none'`: no child;
   * - a list of platforms: exactly the children whose `platform.os` and `platform.architecture`
   *   equal those of an entry (compared as given, case-sensitive). Children without a `platform`,
   *   or with one not listed, may be missing. The list does not require the index to contain the
   *   listed platforms, and an empty list checks no child.
   */
  platforms?: 'all' | 'none' | readonly ManifestPlatform[]
  /** Whether an image manifest's config and layers may be missing. Default false (as registry:3). */
  blobs?: boolean
}

/** {@link SparseManifests} with defaults applied, as the handlers read it. */
export interface ReferenceRules {
  platforms: 'all' | 'none' | readonly ManifestPlatform[]
  blobs: boolean
}

/** Resolves the `sparseManifests` option to {@link ReferenceRules}. */
export function toReferenceRules(option: SparseManifests | undefined): ReferenceRules {
  if (option === true) return { platforms: 'none', blobs: true }
  if (!option) return { platforms: 'all', blobs: false }
  return { platforms: option.platforms ?? 'all', blobs: option.blobs ?? false }
}

function mustExist(rules: ReferenceRules, platform: ManifestPlatform | undefined): boolean {
  if (rules.platforms === 'all') return true
  if (rules.platforms === 'none' || !platform) return false
  return rules.platforms.some((p) => p.os === platform.os && p.architecture === platform.architecture)
}

/**
 * The digest of the first reference of `parsed` that the rules require and the repository `name`
 * lacks, or `undefined` when the manifest may be stored. Lookups run in parallel.
 */
export async function findMissingReference(ctx: RequestContext, name: string, parsed: ParsedManifest): Promise<string | undefined> {
  const { stores, settings } = ctx
  const rules = settings.references
  const blobs = rules.blobs ? [] : parsed.blobs
  const manifests = parsed.manifests.filter((d) => mustExist(rules, d.platform))
  const missing = await Promise.all([
    // Touched, not only read: a collector that found them unreferenced before this push then fails
    // to remove them (layout/garbage-collection.md), so the manifest is never stored dangling.
    ...blobs.map(async (d) => ((await stores.blobs.touch(name, d.digest)) ? undefined : d.digest.value)),
    ...manifests.map(async (d) => ((await stores.manifests.touch(name, d.digest)) ? undefined : d.digest.value)),
  ])
  return missing.find((m) => m !== undefined)
}
