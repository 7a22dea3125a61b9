import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseConfig, toConfigDocument, toServerOptions, type WharfConfig } from '@wharf/server'
import { createHtpasswdLine, createTestCertificates, type TestCertificates } from './helpers/certificates.js'
import { createTempDir } from './helpers/in-process.js'

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(yaml), { env })

/** The parse error's message (fails the test when parsing succeeds). */
function errorOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

let dir: { path: string; remove(): Promise<void> }
let certs: TestCertificates
let htpasswdPath: string

beforeAll(async () => {
  dir = await createTempDir()
  certs = await createTestCertificates(dir.path)
  htpasswdPath = join(dir.path, 'htpasswd')
  await writeFile(htpasswdPath, `${await createHtpasswdLine('alice', 'secret')}\n`)
})
afterAll(() => dir.remove())

describe('registry:2 configuration files', () => {
  it('loads the stock config.yml of the registry:2 image without warnings', () => {
    const { config, warnings } = parse(`
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`)
    expect(warnings).toEqual([])
    expect(config.storage).toMatchObject({ filesystem: { rootdirectory: '/var/lib/registry' }, delete: { enabled: false } })
    expect(config.http).toMatchObject({ addr: ':5000', headers: { 'X-Content-Type-Options': ['nosniff'] } })
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: 10_000, threshold: 3 })
    expect(config.log.fields).toEqual({ service: 'registry' })
    expect(config.storage.maintenance.uploadpurging).toEqual({ enabled: true, age: 168 * 3_600_000, interval: 24 * 3_600_000, dryrun: false })
  })

  it('loads a filesystem + htpasswd + TLS configuration into a TLS server with Basic auth', async () => {
    const { config, warnings } = parse(`
version: 0.1
log:
  level: debug
  formatter: text
storage:
  filesystem:
    rootdirectory: ${dir.path}/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 72h
      interval: 1h30m
      dryrun: true
http:
  addr: 0.0.0.0:5443
  secret: asecretforlocaldevelopment
  draintimeout: 45s
  tls:
    certificate: ${certs.serverCert}
    key: ${certs.serverKey}
    clientcas:
      - ${certs.caCert}
auth:
  htpasswd:
    realm: Registry Realm
    path: ${htpasswdPath}
`)
    expect(warnings).toEqual([])
    expect(config.log).toMatchObject({ level: 'debug', formatter: 'text' })
    expect(config.storage).toMatchObject({ filesystem: { rootdirectory: `${dir.path}/data` }, delete: { enabled: true } })
    expect(config.storage.maintenance.uploadpurging).toEqual({ enabled: true, age: 72 * 3_600_000, interval: 90 * 60_000, dryrun: true })
    expect(config.http).toMatchObject({ addr: '0.0.0.0:5443', draintimeout: 45_000 })
    expect(config.http.tls).toEqual({ certificate: certs.serverCert, key: certs.serverKey, clientcas: [certs.caCert], minimumtls: 'tls1.2' })
    expect(config.auth).toEqual({ htpasswd: { realm: 'Registry Realm', path: htpasswdPath } })

    const options = await toServerOptions(config)
    expect(options.storage.name).toBe('fs')
    expect(options.tls?.ca).toHaveLength(1)
    expect(options.tls?.cert.toString()).toContain('BEGIN CERTIFICATE')
    expect(options.auth?.challenge(new Request('http://x/v2/'), [], 'missing')).toBe('Basic realm="Registry Realm"')
  })

  it('loads an S3 configuration and hands its endpoint, bucket, prefix and keys to the S3 driver', async () => {
    const { config, warnings } = parse(`
version: 0.1
storage:
  s3:
    accesskey: AKIAEXAMPLE
    secretkey: wJalrXUtnFEMI/K7MDENG
    region: eu-west-1
    regionendpoint: http://127.0.0.1:7480
    forcepathstyle: true
    bucket: images
    rootdirectory: /registry/v2
    chunksize: 10485760
    secure: true
    v4auth: true
    encrypt: false
    multipartcopychunksize: 33554432
  redirect:
    disable: false
`)
    expect(warnings).toEqual([])
    expect(config.storage).toMatchObject({
      s3: { bucket: 'images', region: 'eu-west-1', regionendpoint: 'http://127.0.0.1:7480', forcepathstyle: true, rootdirectory: '/registry/v2', chunksize: 10 * 1024 * 1024, accesskey: 'AKIAEXAMPLE' },
    })
    const { storage } = await toServerOptions(config)
    expect(storage.name).toBe('s3')
    expect(storage.capabilities.redirect).toBe(true)
    // A pre-signed URL is built offline: it shows where the driver would go and with which key.
    const url = new URL(await storage.presignGet!('blobs/sha256/ab/abcd', 60))
    expect(url.origin).toBe('http://127.0.0.1:7480')
    expect(url.pathname).toBe('/images/registry/v2/blobs/sha256/ab/abcd')
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAEXAMPLE\/\d+\/eu-west-1\/s3\/aws4_request$/)
  })

  it('loads an Azure configuration (Azurite service URL) into the Azure driver', async () => {
    const { config, warnings } = parse(`
storage:
  azure:
    accountname: devstoreaccount1
    accountkey: Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
    container: registry
    realm: core.windows.net
    serviceurl: http://127.0.0.1:10000/devstoreaccount1
    rootdirectory: /wharf
`)
    expect(warnings).toEqual([])
    expect(config.storage).toMatchObject({ azure: { accountname: 'devstoreaccount1', container: 'registry', serviceurl: 'http://127.0.0.1:10000/devstoreaccount1', rootdirectory: '/wharf' } })
    const { storage } = await toServerOptions(config)
    expect(storage.name).toBe('azure')
    const url = new URL(await storage.presignGet!('blobs/sha256/ab/abcd', 60))
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:10000/devstoreaccount1/registry/wharf/blobs/sha256/ab/abcd')
    expect(url.searchParams.get('sig')).toBeTruthy()
  })

  it('builds the Azure account URL from accountname and realm when no serviceurl is given', async () => {
    const { config } = parse(`
storage:
  azure: { accountname: myaccount, accountkey: "${Buffer.from('key').toString('base64')}", container: images, realm: core.chinacloudapi.cn }
`)
    const url = new URL(await (await toServerOptions(config)).storage.presignGet!('k', 60))
    expect(url.origin).toBe('https://myaccount.blob.core.chinacloudapi.cn')
  })

  it('selects the token scheme with its certificate bundle', async () => {
    const { config } = parse(`
auth:
  token:
    realm: https://auth.example.com/token
    service: registry.example.com
    issuer: auth.example.com
    rootcertbundle: ${certs.caCert}
`)
    expect(config.auth).toEqual({ token: { realm: 'https://auth.example.com/token', service: 'registry.example.com', issuer: 'auth.example.com', rootcertbundle: certs.caCert } })
    const challenge = (await toServerOptions(config)).auth!.challenge(new Request('http://x/v2/'), [], 'missing')
    expect(challenge).toBe('Bearer realm="https://auth.example.com/token",service="registry.example.com"')
  })
})

describe('the README', () => {
  it("migration section's registry:2 config.yml loads unchanged, without warnings", async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const yaml = /runs unchanged:\n\n```yaml\n([\s\S]+?)```/.exec(readme)![1]!
    const { config, warnings } = parse(yaml)
    expect(warnings).toEqual([])
    expect(config.storage).toMatchObject({ s3: { bucket: 'images', region: 'eu-west-1', rootdirectory: '/registry' }, delete: { enabled: true } })
    expect(config.http).toMatchObject({ addr: ':5000', draintimeout: 60_000, debug: { addr: '127.0.0.1:5001', prometheus: { enabled: true, path: '/metrics' } } })
    expect(config.auth).toEqual({ htpasswd: { realm: 'Registry Realm', path: '/auth/htpasswd' } })
    expect(config.notifications.endpoints[0]).toMatchObject({ name: 'ci', timeout: 2000, threshold: 5, backoff: 5000, ignoredmediatypes: ['application/octet-stream'] })
  })
})

describe('environment overrides', () => {
  const file = `
storage:
  filesystem:
    rootdirectory: /from/file
  delete:
    enabled: false
http:
  addr: 127.0.0.1:5000
log:
  level: info
`
  it('win over the file, key by key, with values parsed by the key type', () => {
    const { config } = parse(file, {
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/from/env',
      REGISTRY_STORAGE_DELETE_ENABLED: 'true',
      REGISTRY_HTTP_ADDR: ':6000',
      REGISTRY_LOG_LEVEL: 'warn',
      REGISTRY_HTTP_DRAINTIMEOUT: '5s',
      REGISTRY_HTTP_HEADERS: '{X-Frame-Options: [DENY], X-Content-Type-Options: nosniff}',
    })
    expect(config.storage).toMatchObject({ filesystem: { rootdirectory: '/from/env' }, delete: { enabled: true } })
    expect(config.http).toMatchObject({ addr: ':6000', draintimeout: 5000, headers: { 'X-Frame-Options': ['DENY'], 'X-Content-Type-Options': ['nosniff'] } })
    expect(config.log.level).toBe('warn')
  })

  it('REGISTRY_STORAGE=s3 replaces the file driver but keeps the other storage settings', () => {
    const { config } = parse(file, {
      REGISTRY_STORAGE: 's3',
      REGISTRY_STORAGE_S3_BUCKET: 'b',
      REGISTRY_STORAGE_S3_REGION: 'us-east-1',
      REGISTRY_STORAGE_S3_REGIONENDPOINT: 'http://127.0.0.1:7480',
      REGISTRY_STORAGE_S3_ACCESSKEY: 'ak',
      REGISTRY_STORAGE_S3_SECRETKEY: 'sk',
      REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true',
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: '/prefix',
      REGISTRY_STORAGE_S3_CHUNKSIZE: '5242880',
    })
    expect('filesystem' in config.storage).toBe(false)
    expect(config.storage).toMatchObject({
      s3: { bucket: 'b', region: 'us-east-1', regionendpoint: 'http://127.0.0.1:7480', accesskey: 'ak', secretkey: 'sk', forcepathstyle: true, rootdirectory: '/prefix', chunksize: 5242880 },
      delete: { enabled: false },
    })
  })

  it('REGISTRY_STORAGE=azure with only environment variables selects Azure', () => {
    const { config } = parseConfig({}, {
      env: {
        REGISTRY_STORAGE: 'azure',
        REGISTRY_STORAGE_AZURE_ACCOUNTNAME: 'acct',
        REGISTRY_STORAGE_AZURE_ACCOUNTKEY: 'a2V5',
        REGISTRY_STORAGE_AZURE_CONTAINER: 'c',
        REGISTRY_STORAGE_AZURE_REALM: 'core.windows.net',
        REGISTRY_STORAGE_AZURE_SERVICEURL: 'http://127.0.0.1:10000/acct',
        REGISTRY_STORAGE_AZURE_ROOTDIRECTORY: 'r',
      },
      fromFile: false,
    })
    expect(config.storage).toMatchObject({ azure: { accountname: 'acct', accountkey: 'a2V5', container: 'c', serviceurl: 'http://127.0.0.1:10000/acct', rootdirectory: 'r' }, delete: { enabled: true } })
  })

  it('REGISTRY_AUTH=htpasswd with its realm and path turns on Basic auth', () => {
    const { config } = parse(file, { REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm', REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd' })
    expect(config.auth).toEqual({ htpasswd: { realm: 'Registry Realm', path: '/auth/htpasswd' } })
  })

  it('REGISTRY_AUTH=token with _REALM/_SERVICE/_ISSUER/_JWKS turns on token auth', () => {
    const { config } = parse('', {
      REGISTRY_AUTH: 'token',
      REGISTRY_AUTH_TOKEN_REALM: 'https://auth/token',
      REGISTRY_AUTH_TOKEN_SERVICE: 'reg',
      REGISTRY_AUTH_TOKEN_ISSUER: 'iss',
      REGISTRY_AUTH_TOKEN_JWKS: 'https://auth/jwks.json',
    })
    expect(config.auth).toEqual({ token: { realm: 'https://auth/token', service: 'reg', issuer: 'iss', jwks: 'https://auth/jwks.json' } })
  })

  it('TLS and notification endpoints can come from the environment too', () => {
    const { config } = parse('', {
      REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/domain.crt',
      REGISTRY_HTTP_TLS_KEY: '/certs/domain.key',
      REGISTRY_HTTP_TLS_CLIENTCAS: '[/certs/ca.pem]',
      REGISTRY_HTTP_TLS_CLIENTCAS_1: '/certs/other-ca.pem',
      REGISTRY_NOTIFICATIONS_ENDPOINTS: '[{name: hook, url: "http://127.0.0.1:9/e", timeout: 2s, headers: {Authorization: [Bearer t]}}]',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '4',
    })
    expect(config.http.tls).toEqual({ certificate: '/certs/domain.crt', key: '/certs/domain.key', clientcas: ['/certs/ca.pem', '/certs/other-ca.pem'], minimumtls: 'tls1.2' })
    expect(parse('', { REGISTRY_HTTP_TLS_CERTIFICATE: '/c', REGISTRY_HTTP_TLS_KEY: '/k', REGISTRY_HTTP_TLS_CLIENTCAS_0: '/ca0.pem' }).config.http.tls?.clientcas).toEqual(['/ca0.pem'])
    expect(config.notifications.endpoints).toEqual([
      { name: 'hook', disabled: false, url: 'http://127.0.0.1:9/e', headers: { Authorization: ['Bearer t'] }, timeout: 2000, threshold: 4, backoff: 1000, ignoredmediatypes: [], ignore: { mediatypes: [], actions: [] } },
    ])
  })

  it('a driver set in the environment next to another one in the file is refused, pointing at REGISTRY_STORAGE', () => {
    const message = errorOf(() => parse(file, { REGISTRY_STORAGE_S3_BUCKET: 'b' }))
    expect(message).toContain('storage: give exactly one storage driver, found filesystem and s3')
    expect(message).toContain('REGISTRY_STORAGE=<driver>')
  })

  it('REGISTRY_CONFIGURATION_PATH names the file when none is given', async () => {
    const path = join(dir.path, 'from-variable.yml')
    await writeFile(path, 'http:\n  addr: 127.0.0.1:7777\n')
    const loaded = loadConfig({ env: { REGISTRY_CONFIGURATION_PATH: path } })
    expect(loaded.path).toBe(path)
    expect(loaded.config.http.addr).toBe('127.0.0.1:7777')
    expect(loaded.config.storage.delete.enabled).toBe(false)
  })

  it('with no file at all, wharf runs on its embedded defaults: 127.0.0.1:5000, ./data, deletes on', () => {
    const { config, warnings } = loadConfig({ env: {} })
    expect(warnings).toEqual([])
    expect(config.http.addr).toBe('127.0.0.1:5000')
    expect(config.storage).toMatchObject({ filesystem: { rootdirectory: './data' }, delete: { enabled: true } })
    expect(config.log).toEqual({ level: 'info', formatter: 'json', fields: {}, accesslog: { disabled: false } })
  })
})

describe('registry:2 keys wharf does not support', () => {
  it('are all named in one warning, and the rest still loads (unknown keys are errors: config-checks.test.ts)', () => {
    const { config, warnings, unsupportedKeys } = parse(
      `
version: 0.1
redis:
  addr: localhost:6379
compatibility:
  schema1: { enabled: true }
storage:
  filesystem: { rootdirectory: /data }
  cache: { blobdescriptor: redis }
http:
  addr: 127.0.0.1:5000
  tls: { certificate: /c, key: /k, ciphersuites: [TLS_AES_128_GCM_SHA256] }
notifications:
  endpoints:
    - name: a
      url: http://127.0.0.1:1/
`,
      { REGISTRY_PORT: 'tcp://10.0.0.1:5000' },
    )
    expect(config.http.addr).toBe('127.0.0.1:5000')
    expect(unsupportedKeys).toEqual(['redis.addr', 'compatibility.schema1.enabled', 'storage.cache.blobdescriptor', 'http.tls.ciphersuites', 'port'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toBe(`configuration keys wharf does not support were ignored: ${unsupportedKeys.join(', ')}`)
  })

  it('S3 settings wharf cannot honour are reported when set to something other than the default', () => {
    const { unsupportedKeys } = parse('storage:\n  s3: { bucket: b, region: r, encrypt: true, keyid: k, accelerate: false, storageclass: REDUCED_REDUNDANCY }\n')
    expect(unsupportedKeys).toEqual(['storage.s3.encrypt', 'storage.s3.keyid', 'storage.s3.storageclass'])
  })
})

describe('malformed values stop the start with the key and the expected form', () => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    ['a duration', 'storage:\n  maintenance:\n    uploadpurging:\n      age: tomorrow\n', {}, 'storage.maintenance.uploadpurging.age: expected a duration of at least 1ms such as "10s", "1m", "168h" or "250ms", got "tomorrow"'],
    ['a bare number as duration', 'health:\n  storagedriver:\n    interval: 10\n', {}, 'health.storagedriver.interval: expected a duration of at least 10ms such as'],
    ['a boolean', 'storage:\n  delete:\n    enabled: maybe\n', {}, 'storage.delete.enabled: expected true or false, got "maybe"'],
    ['an integer from the environment', '', { REGISTRY_HEALTH_STORAGEDRIVER_THRESHOLD: 'many' }, 'health.storagedriver.threshold (from REGISTRY_HEALTH_STORAGEDRIVER_THRESHOLD): expected an integer from 0 to 1000, got "many"'],
    ['a listen address', 'http:\n  addr: 5000\n', {}, 'http.addr: expected host:port (e.g. 127.0.0.1:5000 or :5000), got "5000"'],
    ['a log level', 'log:\n  level: loud\n', {}, 'log.level: expected one of panic, fatal, error, warn, warning, info, debug, trace, got "loud"'],
    ['a formatter', 'log:\n  formatter: xml\n', {}, 'log.formatter: expected one of text, json, logstash, got "xml"'],
    ['a chunk size below S3 minimum', 'storage:\n  s3: { bucket: b, region: r, chunksize: 1024 }\n', {}, 'storage.s3.chunksize: expected an integer from 5242880 to 5368709120, got 1024'],
    ['a missing bucket', 'storage:\n  s3: { region: r }\n', {}, 'storage.s3.bucket: expected a bucket name'],
    ['half a key pair', 'storage:\n  s3: { bucket: b, region: r, accesskey: ak }\n', {}, 'storage.s3.secretkey: expected accesskey and secretkey together'],
    ['an endpoint URL', 'notifications:\n  endpoints:\n    - { name: x, url: "ftp://example.com" }\n', {}, 'notifications.endpoints[0].url: expected an http(s) URL, got (value hidden)'],
    ['an unknown driver', 'storage:\n  gcs: { bucket: b }\n', {}, 'storage.gcs: wharf has no "gcs" storage driver; use one of filesystem, s3, azure, inmemory'],
    ['an unknown driver selected by env', '', { REGISTRY_STORAGE: 'swift' }, 'storage.swift (from REGISTRY_STORAGE): wharf has no "swift" storage driver'],
    ['an auth scheme that would leave the registry open', 'auth:\n  silly: { realm: r, service: s }\n', {}, 'auth.silly: wharf has no "silly" authentication'],
    ['two auth schemes', 'auth:\n  htpasswd: { realm: r, path: p }\n  token: { realm: r }\n', {}, 'auth: give one authentication scheme, found htpasswd and token'],
    ['an htpasswd without path', 'auth:\n  htpasswd: { realm: r }\n', {}, 'auth.htpasswd.path: expected the path of an htpasswd file'],
    ['TLS with a key and no certificate', 'http:\n  tls: { key: /k }\n', {}, 'http.tls.certificate: expected a PEM certificate file to go with http.tls.key'],
    ['a prefix', 'http:\n  prefix: /registry/\n', {}, 'http.prefix: wharf serves the API at /v2 only'],
    ['bad YAML', 'storage: [unclosed\n', {}, 'line 2, column 1: invalid YAML'],
  ]
  it.each(cases)('%s', (_name, yaml, env, expected) => {
    expect(errorOf(() => parse(yaml, env))).toContain(expected)
  })

  it('never repeats a secret in the message', () => {
    const message = errorOf(() => parse('storage:\n  s3: { bucket: b, region: r, accesskey: ak, secretkey: [not, a, string] }\n'))
    expect(message).toBe('storage.s3.secretkey: expected a string, got (value hidden)')
  })

  it('a missing htpasswd file, certificate or bundle is reported by its key when the server options are built', async () => {
    const build = async (yaml: string) => {
      const error = await toServerOptions(parse(yaml).config as WharfConfig).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      return (error as Error).message
    }
    expect(await build('auth:\n  htpasswd: { realm: r, path: /nonexistent/htpasswd }\n')).toMatch(/^auth\.htpasswd\.path: /)
    expect(await build(`http:\n  tls: { certificate: /nonexistent.crt, key: ${certs.serverKey} }\n`)).toBe('http.tls.certificate: cannot read /nonexistent.crt: ENOENT')
    expect(await build(`http:\n  tls: { certificate: ${certs.clientCert}, key: ${certs.serverKey} }\n`)).toMatch(/^http\.tls: the certificate, key or client CAs cannot be used/)
    expect(await build('auth:\n  token: { realm: r, service: s, issuer: i, rootcertbundle: /nonexistent.pem }\n')).toMatch(/^auth\.token\.rootcertbundle: /)
  })
})
