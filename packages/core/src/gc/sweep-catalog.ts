import { toDigest } from '../grammar/digest.js'
import { keys } from '../layout/key-layout.js'
import { CATALOG_CACHE_MS } from '../stores/catalog-store.js'
import { createOnce, readJson } from '../stores/json-objects.js'
import { isPastGrace, type GcContext } from './gc-types.js'
import { listKeys, toDigestString } from './listing.js'

/**
 * Whether `repository` holds anything: a live link, revision or tag, or any object (tombstones
 * included) written within the grace period. Referrers entries do not count (the referrers API
 * lists only those whose manifest is live). Stops at the first such object.
 */
async function inUse(ctx: GcContext, repository: string): Promise<boolean> {
  const base = `repositories/${repository}/`
  for await (const key of listKeys(ctx.driver, base, ctx.signal)) {
    const rest = key.slice(base.length)
    // `a/b`'s objects are under `a/`'s prefix too; a nested repository's path never starts with `_`.
    if (!rest.startsWith('_') || rest.startsWith('_referrers/')) continue
    const info = await ctx.driver.stat(key)
    if (!info) continue
    if (!isPastGrace(ctx, info.modified)) return true
    if (rest.startsWith('_layers/')) {
      const link = await readJson<{ deleted?: true }>(ctx.driver, key)
      if (link && !link.value.deleted) return true
    } else if (rest.startsWith('_manifests/revisions/')) {
      const digest = toDigest(toDigestString(key))
      if (digest && (await ctx.stores.manifests.read(repository, digest))?.manifest) return true
    } else if (rest.startsWith('_manifests/tags/')) {
      const tag = await readJson<{ digest: string | null }>(ctx.driver, key)
      if (tag?.value.digest) return true
    }
  }
  return false
}

/**
 * Removes the catalog marker of a repository left empty (layout/garbage-collection.md, "Empty
 * repositories"): nothing live in it and nothing written within the grace period. Then looks
 * again, and puts the marker back when a push landed meanwhile: a push writes into the repository
 * before it makes sure of the marker, so either this second look sees its write or its own
 * marker write comes after the removal. Only with a grace period of at least `CATALOG_CACHE_MS`
 * (or 0, offline), so no process still trusts its memory that the marker exists.
 */
export async function removeIfEmpty(ctx: GcContext, repository: string): Promise<void> {
  if (ctx.graceMs !== 0 && ctx.graceMs < CATALOG_CACHE_MS) return
  // registry:2's tree may still hold entries of it that wharf has not adopted: listed as long as it has.
  if (ctx.registry2 && (await ctx.registry2.reader.hasRepository(repository))) return
  if (await inUse(ctx, repository)) return
  ctx.report.repositoriesRemoved = (ctx.report.repositoriesRemoved ?? 0) + 1
  if (ctx.dryRun) return
  await ctx.driver.delete(keys.catalogEntry(repository))
  if (await inUse(ctx, repository)) {
    await createOnce(ctx.driver, keys.catalogEntry(repository), new Uint8Array(0))
    ctx.report.repositoriesRemoved--
  }
}
