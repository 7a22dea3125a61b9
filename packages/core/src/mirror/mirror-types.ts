/** One upstream registry a mirror pulls from. */
export interface UpstreamOptions {
  /** The upstream's base URL, e.g. `https://registry-1.docker.io` or `http://127.0.0.1:5000`. */
  url: string
  /**
   * The host the upstream is known by: containerd's `?ns=` value that selects it (echoed as
   * `OCI-Namespace`). Default: the URL's `host` (`127.0.0.1:5000`).
   */
  host?: string
  /**
   * Repository prefix under which its content is stored and by which it is selected without `ns`
   * (`<prefix>/library/nginx` is the upstream's `library/nginx`). `''` mirrors every repository that
   * no other upstream claims (registry:2's single `remoteurl`). Default: the host made a valid
   * repository component (`127.0.0.1:5000` → `127.0.0.1-5000`).
   */
  prefix?: string
  /** Credentials for Basic auth or the token flow; sent only to this URL's origin and its token realm. */
  username?: string
  password?: string
  /**
   * How long a tag is served from the cache before it is re-validated against the upstream
   * (a conditional HEAD). Default: the mirror's `tagTtlMs`.
   */
  tagTtlMs?: number
}

/** Options of `createMirror`. */
export interface MirrorOptions {
  upstreams: readonly UpstreamOptions[]
  /**
   * Default tag re-validation interval. Default 0: every tag pull asks the upstream (a HEAD, which
   * Docker Hub does not count against rate limits), as registry:2 does.
   */
  tagTtlMs?: number
  /**
   * Which pushes (and deletes) are accepted. `'none'` (default, registry:2's proxy mode): every write
   * is 405 UNSUPPORTED. `'unmirrored'`: writes to repositories no upstream claims are served as usual.
   */
  pushes?: 'none' | 'unmirrored'
  /** Largest blob fetched and stored (larger: 403 DENIED before a byte is stored). Default unlimited. */
  maxBlobBytes?: number
  /** Largest manifest fetched. Default 4 MiB (the registry's own limit). */
  maxManifestBytes?: number
  /** Time allowed for an upstream answer's headers (and a token). Default 30 s. */
  timeoutMs?: number
  /** Longest pause while an upstream body streams before the fetch is given up. Default 30 s. */
  idleTimeoutMs?: number
  /** The fetch used to reach upstreams (tests, proxies). Default: the global `fetch`. */
  fetch?: typeof fetch
}

/** What a mirror event is about. */
export type MirrorEventType = 'hit' | 'miss' | 'stale' | 'upstream-error'

/**
 * A cache decision, emitted after the request was answered (or failed): `hit` (served from storage,
 * tags within their ttl or re-validated unchanged), `miss` (fetched from the upstream, and stored
 * unless `stored` is false), `stale` (a tag served from storage because the upstream could not be
 * asked; the answer carries a `Warning`), `upstream-error` (the upstream failed: `reason` says how).
 */
export interface MirrorEvent {
  type: MirrorEventType
  /** The upstream's host key. */
  upstream: string
  /** The repository as stored (with the upstream's prefix). */
  repository: string
  kind: 'manifest' | 'blob' | 'tags'
  digest?: string
  tag?: string
  /** Bytes fetched from the upstream (misses). */
  size?: number
  /** For misses: whether the fetched content was stored (false when a quota refused it). */
  stored?: boolean
  /** For upstream errors: `unavailable`, `timeout`, `digest-mismatch`, `too-large`, `auth`, `status-<code>`, `invalid`. */
  reason?: string
  timestamp: Date
}

export type MirrorEventListener = (event: MirrorEvent) => void

/** Mirror events; `on` returns a function that removes the listener. */
export interface MirrorEvents {
  on(type: MirrorEventType | '*', listener: MirrorEventListener): () => void
}
