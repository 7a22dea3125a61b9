/**
 * The keys of registry:2's (and registry:3's) configuration, as dotted patterns: `*` is one segment
 * (a list index or a name), a trailing `**` anything below. A key wharf does not read but that
 * matches one of these is a registry:2 setting wharf does not honour (a warning); a key that matches
 * none and that wharf did not read is unknown (most likely a typo: an error).
 */
const REGISTRY2_KEYS: readonly string[] = [
  'version',
  'loglevel',
  'log.accesslog.disabled', 'log.level', 'log.formatter', 'log.fields.**', 'log.hooks.**', 'log.reportcaller',
  'storage.filesystem.rootdirectory', 'storage.filesystem.maxthreads',
  'storage.inmemory.**',
  'storage.azure.**', 'storage.gcs.**', 'storage.swift.**', 'storage.oss.**', 'storage.s3.**',
  'storage.delete.enabled',
  'storage.cache.blobdescriptor', 'storage.cache.blobdescriptorsize',
  'storage.maintenance.uploadpurging.enabled', 'storage.maintenance.uploadpurging.age',
  'storage.maintenance.uploadpurging.interval', 'storage.maintenance.uploadpurging.dryrun',
  'storage.maintenance.readonly.enabled',
  'storage.redirect.disable', 'storage.tag.concurrencylimit',
  'auth.silly.realm', 'auth.silly.service',
  'auth.token.realm', 'auth.token.service', 'auth.token.issuer', 'auth.token.rootcertbundle',
  'auth.token.autoredirect', 'auth.token.autoredirectpath', 'auth.token.jwks', 'auth.token.signingalgorithms.**',
  'auth.htpasswd.realm', 'auth.htpasswd.path',
  'middleware.**', 'reporting.**', 'redis.**', 'catalog.maxentries',
  'http.addr', 'http.net', 'http.prefix', 'http.host', 'http.secret', 'http.relativeurls', 'http.draintimeout',
  'http.tls.certificate', 'http.tls.key', 'http.tls.clientcas.**', 'http.tls.clientauth', 'http.tls.minimumtls',
  'http.tls.ciphersuites.**', 'http.tls.letsencrypt.**',
  'http.debug.addr', 'http.debug.prometheus.enabled', 'http.debug.prometheus.path', 'http.debug.tls.**',
  'http.headers.**', 'http.http2.disabled', 'http.h2c.enabled',
  'notifications.events.includereferences',
  'notifications.endpoints.*.name', 'notifications.endpoints.*.disabled', 'notifications.endpoints.*.url',
  'notifications.endpoints.*.headers.**', 'notifications.endpoints.*.timeout', 'notifications.endpoints.*.threshold',
  'notifications.endpoints.*.backoff', 'notifications.endpoints.*.ignoredmediatypes.**',
  'notifications.endpoints.*.ignore.mediatypes.**', 'notifications.endpoints.*.ignore.actions.**',
  'health.storagedriver.enabled', 'health.storagedriver.interval', 'health.storagedriver.threshold',
  'health.file.*.file', 'health.file.*.interval',
  'health.http.*.uri', 'health.http.*.headers.**', 'health.http.*.statuscode', 'health.http.*.timeout',
  'health.http.*.interval', 'health.http.*.threshold',
  'health.tcp.*.addr', 'health.tcp.*.timeout', 'health.tcp.*.interval', 'health.tcp.*.threshold',
  'proxy.remoteurl', 'proxy.username', 'proxy.password', 'proxy.ttl', 'proxy.exec.**',
  'compatibility.schema1.signingkeyfile', 'compatibility.schema1.enabled',
  'validation.enabled', 'validation.disabled', 'validation.manifests.urls.allow.**', 'validation.manifests.urls.deny.**',
  'validation.manifests.indexes.platforms', 'validation.manifests.indexes.platformlist.**',
  // Not keys: Kubernetes injects REGISTRY_PORT, REGISTRY_PORT_5000_TCP_ADDR, REGISTRY_SERVICE_HOST, …
  // for a Service named "registry"; registry:2 ignores them, and so does wharf (with the warning).
  'port.**', 'service.**',
]

/** Whether the dotted `path` (list indexes as numeric segments) is one of registry:2's keys. */
export function isRegistry2Key(path: string): boolean {
  const segments = path.split('.')
  return REGISTRY2_KEYS.some((pattern) => matches(pattern.split('.'), segments))
}

/** Whether the dotted `path` matches a dotted `pattern` (`*` one segment, a trailing `**` anything below). */
export function matchesKeyPattern(pattern: string, path: string): boolean {
  return matches(pattern.split('.'), path.split('.'))
}

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!
    if (part === '**') return true
    if (i >= segments.length) return false
    if (part !== '*' && part !== segments[i]) return false
  }
  return pattern.length === segments.length
}

/**
 * The known key closest to `path` (a typo's intended key): one whose full path ends with the
 * unknown path (a key written at the wrong level, `delete.enabled` for `storage.delete.enabled`),
 * else the one at the smallest edit distance (a transposition counts as one edit), if that distance
 * is small for the key's length. Patterns with `*` are compared with the unknown path's own segment.
 */
export function closestKey(path: string, known: Iterable<string>): string | undefined {
  const segments = path.split('.')
  const candidates = new Set<string>()
  for (const key of known) candidates.add(key)
  for (const pattern of REGISTRY2_KEYS) {
    const parts = pattern.split('.').filter((p) => p !== '**')
    if (parts.length === 0) continue
    candidates.add(parts.map((p, i) => (p === '*' ? segments[i] ?? '0' : p)).join('.'))
  }
  candidates.delete(path)
  const suffixed = [...candidates].filter((key) => key.endsWith(`.${path}`))
  if (suffixed.length === 1) return suffixed[0]
  let best: string | undefined
  let bestDistance = Infinity
  for (const key of candidates) {
    const distance = editDistance(path, key)
    if (distance < bestDistance) [best, bestDistance] = [key, distance]
  }
  const limit = Math.max(1, Math.min(3, Math.floor(path.length / 4)))
  return bestDistance <= limit ? best : undefined
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}
