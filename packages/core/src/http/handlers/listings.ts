import { RegistryError } from '../../errors/registry-error.js'
import type { Digest } from '../../grammar/digest.js'
import { MEDIA_TYPES } from '../../manifests/media-types.js'
import type { RequestContext } from '../context.js'
import type { RegistryResponse } from '../registry-message.js'
import { respond, respondJson } from '../respond.js'

/** Largest page a listing returns in one response; `n` above it is reduced (and a Link given). */
export const MAX_PAGE = 10_000

/** Reads `n` and `last`; `n` absent means "everything" (`undefined`). */
function toPaging(url: URL): { n: number | undefined; last: string | undefined } {
  const nParam = url.searchParams.get('n')
  let n: number | undefined
  if (nParam !== null) {
    if (!/^\d{1,9}$/.test(nParam)) throw new RegistryError('PAGINATION_NUMBER_INVALID', { detail: { n: nParam } })
    n = Math.min(Number(nParam), MAX_PAGE)
  }
  const last = url.searchParams.get('last') ?? undefined
  return { n, last: last === '' ? undefined : last }
}

/** Collects up to `n` entries (all when undefined) from a paged lister, and whether more follow. */
async function collect(
  page: (limit: number, last?: string) => Promise<{ items: string[]; more: boolean }>,
  n: number | undefined,
  last: string | undefined,
): Promise<{ items: string[]; more: boolean }> {
  const items: string[] = []
  let cursor = last
  if (n === 0) return { items, more: false }
  for (;;) {
    const want = n === undefined ? 1000 : Math.min(1000, n - items.length)
    const result = await page(want, cursor)
    items.push(...result.items)
    if (!result.more || result.items.length === 0) return { items, more: false }
    if (n !== undefined && items.length >= n) return { items, more: true }
    cursor = items[items.length - 1]
  }
}

function linkHeader(path: string, n: number, last: string): Record<string, string> {
  return { Link: `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"` }
}

/** GET /v2/<name>/tags/list with `n` and `last`. */
export async function listTags(ctx: RequestContext, name: string): Promise<RegistryResponse> {
  const { n, last } = toPaging(ctx.url)
  if (!(await ctx.stores.catalog.exists(name))) throw new RegistryError('NAME_UNKNOWN', { detail: { name } })
  const { items, more } = await collect(
    async (limit, cursor) => {
      const r = await ctx.stores.index.listTags(name, limit, cursor)
      return { items: r.tags, more: r.more }
    },
    n,
    last,
  )
  const headers = more && n !== undefined ? linkHeader(`/v2/${name}/tags/list`, n, items[items.length - 1]!) : {}
  return respondJson(200, { name, tags: items }, headers)
}

/** GET /v2/_catalog with `n` and `last` (at most 1000 per page when `n` is absent). */
export async function listCatalog(ctx: RequestContext): Promise<RegistryResponse> {
  const paging = toPaging(ctx.url)
  const n = paging.n ?? 1000
  const { items, more } = await collect(
    async (limit, cursor) => {
      const r = await ctx.stores.catalog.list(limit, cursor)
      return { items: r.names, more: r.more }
    },
    n,
    paging.last,
  )
  const headers = more ? linkHeader('/v2/_catalog', n, items[items.length - 1]!) : {}
  return respondJson(200, { repositories: items }, headers)
}

/** GET /v2/<name>/referrers/<digest>, optionally filtered by `artifactType`. */
export async function listReferrers(ctx: RequestContext, name: string, subject: Digest): Promise<RegistryResponse> {
  const artifactType = ctx.url.searchParams.get('artifactType')
  let manifests = await ctx.stores.index.listReferrers(name, subject)
  if (artifactType !== null) manifests = manifests.filter((m) => m.artifactType === artifactType)
  const body = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }))
  return respond(
    200,
    {
      'Content-Type': MEDIA_TYPES.ociIndex,
      'Content-Length': String(body.length),
      ...(artifactType !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {}),
    },
    body,
  )
}
