import type { MirrorOptions, UpstreamOptions } from '@wharf/core'
import type { ConfigReader } from './config-reader.js'

/** One upstream of `proxy` (registry:2's keys, plus wharf's `host` and `prefix`). */
export interface ProxyUpstreamConfig {
  remoteurl: string
  username?: string
  password?: string
  /** Tag re-validation interval (ms); absent: `proxy.ttl`. */
  ttl?: number
  /** `?ns=` host key; default the URL's host. */
  host?: string
  /** Storage/selection prefix; default the host as a repository component. */
  prefix?: string
}

/**
 * The `proxy` section: registry:2's `remoteurl`, `username`, `password`, `ttl` (one upstream that
 * every repository mirrors), or wharf's `upstreams` list (many upstreams, chosen by containerd's
 * `?ns=` or a repository prefix), with `pushes` (`none`, registry:2's behaviour and the default, or
 * `unmirrored`), `maxblobsize` (bytes), `timeout` and `idletimeout`.
 */
export interface ProxyConfig {
  upstreams: ProxyUpstreamConfig[]
  /** How long a tag is served before re-validation; 0 (default, as registry:2) asks every time. */
  ttl: number
  pushes: 'none' | 'unmirrored'
  maxblobsize?: number
  timeout: number
  idletimeout: number
}

function readUpstream(r: ConfigReader, p: string, single: boolean): ProxyUpstreamConfig {
  const remoteurl = r.requiredString(`${p}.remoteurl`, 'an http(s) URL such as https://registry-1.docker.io')
  if (!/^https?:\/\/[^/]/i.test(remoteurl)) r.fail(`${p}.remoteurl`, 'an http(s) URL such as https://registry-1.docker.io', remoteurl)
  const upstream: ProxyUpstreamConfig = { remoteurl }
  const username = r.string(`${p}.username`)
  const password = r.string(`${p}.password`)
  if (username !== undefined) upstream.username = username
  if (password !== undefined) upstream.password = password
  // registry:2's single upstream mirrors every repository under its own name.
  if (single) upstream.prefix = ''
  else {
    const ttl = r.duration(`${p}.ttl`)
    const host = r.string(`${p}.host`)
    const prefix = r.string(`${p}.prefix`)
    if (ttl !== undefined) upstream.ttl = ttl
    if (host !== undefined) upstream.host = host
    if (prefix !== undefined) upstream.prefix = prefix
  }
  return upstream
}

/** Reads `proxy`; `undefined` when there is none (not a mirror). */
export function readProxy(r: ConfigReader): ProxyConfig | undefined {
  const single = r.has('proxy.remoteurl')
  const count = r.listLength('proxy.upstreams')
  if (!single && count === 0) {
    // An empty `proxy:` (or only its options) is no mirror, as in registry:2.
    for (const key of ['ttl', 'username', 'password', 'pushes', 'maxblobsize', 'timeout', 'idletimeout']) r.accept(`proxy.${key}`)
    return undefined
  }
  const upstreams = single ? [readUpstream(r, 'proxy', true)] : []
  for (let i = 0; i < count; i++) upstreams.push(readUpstream(r, `proxy.upstreams.${i}`, false))
  const proxy: ProxyConfig = {
    upstreams,
    ttl: r.duration('proxy.ttl') ?? 0,
    pushes: r.choice('proxy.pushes', ['none', 'unmirrored'] as const) ?? 'none',
    timeout: r.duration('proxy.timeout', { min: 1 }) ?? 30_000,
    idletimeout: r.duration('proxy.idletimeout', { min: 1 }) ?? 30_000,
  }
  const maxblobsize = r.integer('proxy.maxblobsize', { min: 1 })
  if (maxblobsize !== undefined) proxy.maxblobsize = maxblobsize
  return proxy
}

/** The core mirror options for a `proxy` section. */
export function toMirrorOptions(proxy: ProxyConfig): MirrorOptions {
  const upstreams = proxy.upstreams.map((u): UpstreamOptions => ({
    url: u.remoteurl,
    ...(u.username === undefined ? {} : { username: u.username }),
    ...(u.password === undefined ? {} : { password: u.password }),
    ...(u.ttl === undefined ? {} : { tagTtlMs: u.ttl }),
    ...(u.host === undefined ? {} : { host: u.host }),
    ...(u.prefix === undefined ? {} : { prefix: u.prefix }),
  }))
  return {
    upstreams,
    tagTtlMs: proxy.ttl,
    pushes: proxy.pushes,
    timeoutMs: proxy.timeout,
    idleTimeoutMs: proxy.idletimeout,
    ...(proxy.maxblobsize === undefined ? {} : { maxBlobBytes: proxy.maxblobsize }),
  }
}
