import { isRegistry2Key, matchesKeyPattern } from './known-keys.js'

/**
 * Every configuration key wharf honours, as written in the README's key list: `[]` is a list
 * element, `*` a name of your choosing (a `log.fields` entry). test/supported-keys.test.ts checks
 * that this list and what the parsers read agree both ways, and that the README's list is
 * {@link toSupportedKeysTable}'s output.
 */
export const SUPPORTED_KEYS: readonly string[] = [
  'log.level', 'loglevel', 'log.formatter', 'log.fields.*', 'log.accesslog.disabled',
  'storage.filesystem.rootdirectory',
  'storage.inmemory',
  'storage.s3.bucket', 'storage.s3.region', 'storage.s3.regionendpoint', 'storage.s3.accesskey', 'storage.s3.secretkey',
  'storage.s3.sessiontoken', 'storage.s3.forcepathstyle', 'storage.s3.secure', 'storage.s3.rootdirectory', 'storage.s3.chunksize',
  'storage.azure.accountname', 'storage.azure.accountkey', 'storage.azure.container', 'storage.azure.realm',
  'storage.azure.serviceurl', 'storage.azure.rootdirectory',
  'storage.delete.enabled', 'storage.redirect.disable',
  'storage.maintenance.uploadpurging.enabled', 'storage.maintenance.uploadpurging.age',
  'storage.maintenance.uploadpurging.interval', 'storage.maintenance.uploadpurging.dryrun',
  'storage.maintenance.readonly.enabled',
  'storage.maintenance.garbagecollect.enabled', 'storage.maintenance.garbagecollect.interval',
  'storage.maintenance.garbagecollect.grace', 'storage.maintenance.garbagecollect.deleteuntagged',
  'storage.maintenance.garbagecollect.dryrun',
  'storage.registry2',
  'http.addr', 'http.net', 'http.prefix', 'http.host', 'http.draintimeout', 'http.headers',
  'http.maxheaderbytes', 'http.headerstimeout', 'http.bodyidletimeout', 'http.trustedproxies',
  'http.tls.certificate', 'http.tls.key', 'http.tls.clientcas', 'http.tls.minimumtls',
  'http.debug.addr', 'http.debug.prometheus.enabled', 'http.debug.prometheus.path', 'http.debug.prometheus.registry2names',
  'auth.htpasswd.realm', 'auth.htpasswd.path', 'auth.htpasswd.strict',
  'auth.token.realm', 'auth.token.service', 'auth.token.issuer', 'auth.token.rootcertbundle', 'auth.token.jwks',
  'health.storagedriver.enabled', 'health.storagedriver.interval', 'health.storagedriver.threshold',
  'notifications.endpoints[].name', 'notifications.endpoints[].disabled', 'notifications.endpoints[].url',
  'notifications.endpoints[].headers', 'notifications.endpoints[].timeout', 'notifications.endpoints[].threshold',
  'notifications.endpoints[].backoff', 'notifications.endpoints[].ignoredmediatypes',
  'notifications.endpoints[].ignore.mediatypes', 'notifications.endpoints[].ignore.actions',
  'validation.manifests.indexes.platforms',
  'validation.manifests.indexes.platformlist[].os', 'validation.manifests.indexes.platformlist[].architecture',
  'policies.quotas[].repositories', 'policies.quotas[].maxbytes',
  'policies.immutabletags[].repositories', 'policies.immutabletags[].tags',
  'policies.retention[].repositories', 'policies.retention[].keeplast', 'policies.retention[].keeptags',
  'policies.retention[].untaggedafter', 'policies.retention[].keeppulledwithin', 'policies.pullflushinterval',
  'ui.enabled',
  'proxy.remoteurl', 'proxy.username', 'proxy.password', 'proxy.ttl', 'proxy.pushes', 'proxy.timeout',
  'proxy.idletimeout', 'proxy.maxblobsize',
  'proxy.upstreams[].remoteurl', 'proxy.upstreams[].username', 'proxy.upstreams[].password',
  'proxy.upstreams[].ttl', 'proxy.upstreams[].host', 'proxy.upstreams[].prefix',
]

/**
 * Keys accepted without effect (no warning): settings that mean nothing to wharf, or registry:2
 * settings at a value that is what wharf does anyway (`storage.s3.encrypt: false`).
 */
export const IGNORED_KEYS: readonly string[] = [
  'version', 'http.secret', 'http.relativeurls', 'http.http2.**',
  'storage.cache.blobdescriptor', 'storage.cache.blobdescriptorsize', 'storage.filesystem.maxthreads',
  'storage.s3.v4auth', 'storage.s3.encrypt', 'storage.s3.accelerate', 'storage.s3.skipverify', 'storage.s3.usedualstack',
  'storage.s3.storageclass', 'storage.s3.objectacl', 'storage.s3.keyid',
  'storage.s3.multipartcopychunksize', 'storage.s3.multipartcopymaxconcurrency', 'storage.s3.multipartcopythresholdsize',
  'storage.s3.loglevel', 'auth.token.autoredirect',
]

/** A README key (`notifications.endpoints[].url`) as a dotted pattern (`notifications.endpoints.*.url`). */
export function toKeyPattern(key: string): string {
  return key.replaceAll('[]', '.*')
}

/** Whether a dotted path read by the parsers (`notifications.endpoints.0.url`) is one of `keys`. */
export function isListedKey(path: string, keys: readonly string[]): boolean {
  return keys.some((key) => matchesKeyPattern(toKeyPattern(key), path))
}

/**
 * The environment variable that sets a key, as registry:2 maps them: `REGISTRY_` and the path in
 * capitals with `_` for `.`; a list element's index and a chosen name are placeholders
 * (`REGISTRY_NOTIFICATIONS_ENDPOINTS_<n>_URL`, `REGISTRY_LOG_FIELDS_<name>`).
 */
export function toEnvironmentVariable(key: string): string {
  const path = key.replaceAll('[]', '.<n>').split('.')
  return `REGISTRY_${path.map((segment) => (segment === '*' ? '<name>' : segment === '<n>' ? segment : segment.toUpperCase())).join('_')}`
}

/** The README's table of every supported key, its variable, and whether registry:2 (or 3) has it. */
export function toSupportedKeysTable(): string {
  const rows = SUPPORTED_KEYS.map((key) => {
    const registry = isRegistry2Key(toKeyPattern(key).replaceAll('*', '0'))
    return `| \`${key}\` | \`${toEnvironmentVariable(key)}\` | ${registry ? 'registry:2/3' : 'wharf only'} |`
  })
  return ['| Key | Environment variable | Origin |', '|---|---|---|', ...rows].join('\n')
}
