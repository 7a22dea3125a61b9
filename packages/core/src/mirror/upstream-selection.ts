import { isRepositoryName } from '../grammar/name.js'
import type { UpstreamOptions } from './mirror-types.js'

/** An upstream with its defaults applied. */
export interface ResolvedUpstream {
  options: UpstreamOptions
  /** Lower-case host key matched against `?ns=`. */
  host: string
  /** Storage prefix (`''` for the catch-all upstream). */
  prefix: string
}

/** Where a request's repository comes from. */
export interface MirrorTarget {
  upstream: ResolvedUpstream
  /** The repository as stored locally (prefixed). */
  local: string
  /** The repository's name on the upstream. */
  remote: string
  /** The `ns` value that selected the upstream, echoed as `OCI-Namespace`. */
  namespace?: string
}

/** `127.0.0.1:5000` → `127.0.0.1-5000`: a host made a valid repository name component. */
export function toPrefix(host: string): string {
  return host.toLowerCase().replace(/:/g, '-').replace(/[^a-z0-9._-]/g, '-')
}

/** Checks the upstream list and applies defaults; throws a TypeError naming the first unusable entry. */
export function resolveUpstreams(upstreams: readonly UpstreamOptions[]): ResolvedUpstream[] {
  const resolved = upstreams.map((options, i) => {
    let url: URL
    try {
      url = new URL(options.url)
    } catch {
      throw new TypeError(`mirror: upstreams[${i}].url is not a URL: ${JSON.stringify(options.url)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`mirror: upstreams[${i}].url must be http or https`)
    const host = (options.host ?? url.host).toLowerCase()
    const prefix = options.prefix ?? toPrefix(host)
    if (prefix !== '' && !isRepositoryName(prefix)) throw new TypeError(`mirror: upstreams[${i}].prefix ${JSON.stringify(prefix)} is not a repository name`)
    return { options, host, prefix }
  })
  const seen = new Set<string>()
  for (const upstream of resolved) {
    if (seen.has(`h:${upstream.host}`) || seen.has(`p:${upstream.prefix}`)) throw new TypeError(`mirror: two upstreams share the host ${upstream.host} or the prefix ${JSON.stringify(upstream.prefix)}`)
    seen.add(`h:${upstream.host}`).add(`p:${upstream.prefix}`)
  }
  return resolved
}

/**
 * Picks the upstream of a request: containerd's `?ns=<host>` first (the repository is then the
 * upstream's name, stored under the upstream's prefix), else the longest prefix the repository
 * starts with, else the catch-all upstream (prefix `''`). `undefined`: not mirrored.
 */
export function selectUpstream(upstreams: readonly ResolvedUpstream[], name: string, ns: string | null): MirrorTarget | undefined {
  const catchAll = upstreams.find((u) => u.prefix === '')
  if (ns) {
    const byHost = upstreams.find((u) => u.host === ns.toLowerCase())
    if (byHost) {
      const local = byHost.prefix === '' ? name : `${byHost.prefix}/${name}`
      return { upstream: byHost, local, remote: name, namespace: ns }
    }
  }
  let best: ResolvedUpstream | undefined
  for (const u of upstreams) {
    if (u.prefix !== '' && name.startsWith(`${u.prefix}/`) && (!best || u.prefix.length > best.prefix.length)) best = u
  }
  if (best) return { upstream: best, local: name, remote: name.slice(best.prefix.length + 1) }
  return catchAll && { upstream: catchAll, local: name, remote: name }
}
