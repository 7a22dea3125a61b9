import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { toConfigDocument } from '@wharf/server'
import { describe, expect, it } from 'vitest'
import { parseConfigReading } from '../src/config/load-config.js'
import { IGNORED_KEYS, SUPPORTED_KEYS, isListedKey, toEnvironmentVariable, toKeyPattern, toSupportedKeysTable } from '../src/config/supported-keys.js'

const README = fileURLToPath(new URL('../README.md', import.meta.url))
const START = '<!-- supported-keys:start'
const END = '<!-- supported-keys:end -->'

// Between them, these read every key wharf has (each branch: every storage driver, both auth schemes, both proxy forms).
const DOCUMENTS = [
  `
version: 0.1
log: { level: debug, formatter: text, fields: { service: registry }, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: /var/lib/registry, maxthreads: 100 }
  delete: { enabled: true }
  redirect: { disable: true }
  cache: { blobdescriptor: inmemory, blobdescriptorsize: 10000 }
  maintenance:
    uploadpurging: { enabled: true, age: 168h, interval: 24h, dryrun: false }
    readonly: { enabled: false }
    garbagecollect: { enabled: true, interval: 24h, grace: 1h, deleteuntagged: false, dryrun: false }
  registry2: auto
http:
  addr: 127.0.0.1:5000
  net: tcp
  prefix: /
  host: https://registry.example.com
  secret: a-secret
  relativeurls: true
  draintimeout: 30s
  headers: { X-Frame-Options: [DENY] }
  maxheaderbytes: 262144
  headerstimeout: 60s
  bodyidletimeout: 60s
  trustedproxies: [10.0.0.0/8]
  http2: { disabled: false }
  tls: { certificate: /certs/domain.crt, key: /certs/domain.key, clientcas: [/certs/ca.pem], minimumtls: tls1.3 }
  debug: { addr: 127.0.0.1:5001, prometheus: { enabled: true, path: /metrics, registry2names: true } }
auth: { htpasswd: { realm: Registry, path: /auth/htpasswd, strict: true } }
health: { storagedriver: { enabled: true, interval: 10s, threshold: 3 } }
notifications:
  endpoints:
    - name: hook
      disabled: false
      url: https://hooks.example.com/registry
      headers: { Authorization: [Bearer token] }
      timeout: 1s
      threshold: 10
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
      ignore: { mediatypes: [text/plain], actions: [pull] }
validation: { manifests: { indexes: { platforms: list, platformlist: [{ os: linux, architecture: amd64 }] } } }
policies:
  quotas: [{ repositories: 'team/**', maxbytes: 10GiB }]
  immutabletags: [{ repositories: 'prod/**', tags: ['v*'] }]
  retention: [{ repositories: 'ci/**', keeplast: 3, keeptags: [latest], untaggedafter: 168h, keeppulledwithin: 720h }]
  pullflushinterval: 1m
ui: { enabled: false }
proxy:
  upstreams: [{ remoteurl: 'https://mirror.example.com', username: u, password: p, ttl: 1h, host: docker.io, prefix: hub }]
  ttl: 5m
  pushes: unmirrored
  timeout: 30s
  idletimeout: 30s
  maxblobsize: 1000000
`,
  `
loglevel: info
storage:
  s3:
    { bucket: b, region: eu-west-1, regionendpoint: 'http://127.0.0.1:7480', accesskey: a, secretkey: s, sessiontoken: t,
      forcepathstyle: true, secure: false, rootdirectory: /r, chunksize: 10485760, v4auth: true, encrypt: false, accelerate: false,
      skipverify: false, usedualstack: false, storageclass: STANDARD, objectacl: private, keyid: '',
      multipartcopychunksize: 33554432, multipartcopymaxconcurrency: 100, multipartcopythresholdsize: 33554432, loglevel: off }
auth: { token: { realm: 'https://auth.example.com/token', service: registry, issuer: auth, rootcertbundle: /certs/bundle.pem, jwks: /certs/jwks.json, autoredirect: false } }
proxy: { remoteurl: 'https://registry-1.docker.io', username: u, password: p, ttl: 168h }
`,
  `
storage:
  azure: { accountname: acct, accountkey: a2V5, container: registry, realm: core.windows.net, serviceurl: 'http://127.0.0.1:10000/devstoreaccount1', rootdirectory: /r }
`,
  'storage: { inmemory: }\n',
]

const readings = DOCUMENTS.map((yaml) => parseConfigReading(toConfigDocument(yaml), { env: {} }))

describe('the supported keys list (src/config/supported-keys.ts)', () => {
  it('names every key the parsers read, and nothing they ignore', () => {
    for (const { loaded, readKeys } of readings) {
      expect(loaded.unsupportedKeys).toEqual([])
      // A section the parsers take whole (`log.fields`, `auth` when empty) is the prefix of a listed key.
      const unlisted = readKeys.filter((path) => !isListedKey(path, [...SUPPORTED_KEYS, ...IGNORED_KEYS]) && !SUPPORTED_KEYS.some((key) => toKeyPattern(key).startsWith(`${path}.`)))
      expect(unlisted).toEqual([])
    }
  })

  it('has no key the parsers never read', () => {
    const read = readings.flatMap(({ readKeys }) => readKeys)
    const neverRead = SUPPORTED_KEYS.filter((key) => !read.some((path) => isListedKey(path, [key])))
    expect(neverRead).toEqual([])
  })

  it('gives each key the REGISTRY_ variable that sets it', () => {
    expect(toEnvironmentVariable('http.debug.prometheus.registry2names')).toBe('REGISTRY_HTTP_DEBUG_PROMETHEUS_REGISTRY2NAMES')
    expect(toEnvironmentVariable('notifications.endpoints[].url')).toBe('REGISTRY_NOTIFICATIONS_ENDPOINTS_<n>_URL')
    expect(toEnvironmentVariable('log.fields.*')).toBe('REGISTRY_LOG_FIELDS_<name>')
    const { loaded } = parseConfigReading({}, {
      env: {
        [toEnvironmentVariable('storage.maintenance.garbagecollect.grace')]: '2h',
        [toEnvironmentVariable('policies.quotas[].repositories').replace('<n>', '0')]: 'team/**',
        [toEnvironmentVariable('policies.quotas[].maxbytes').replace('<n>', '0')]: '1GiB',
        [toEnvironmentVariable('log.fields.*').replace('<name>', 'SERVICE')]: 'registry',
      },
      fromFile: false,
    })
    expect(loaded.config.storage.maintenance.garbagecollect.grace).toBe(2 * 3_600_000)
    expect(loaded.config.policies.quotas).toEqual([{ repositories: 'team/**', maxBytes: 2 ** 30 }])
    expect(loaded.config.log.fields).toEqual({ service: 'registry' })
  })

  it('is what the README lists (WHARF_UPDATE_README=1 rewrites it)', () => {
    const readme = readFileSync(README, 'utf8')
    const start = readme.indexOf(START)
    const end = readme.indexOf(END)
    expect(start, 'the README has the supported-keys markers').toBeGreaterThan(0)
    const openerEnd = readme.indexOf('-->', start) + '-->'.length
    const expected = `\n${toSupportedKeysTable()}\n`
    if (process.env['WHARF_UPDATE_README'] === '1') writeFileSync(README, readme.slice(0, openerEnd) + expected + readme.slice(end))
    else expect(readme.slice(openerEnd, end)).toBe(expected)
  })
})
