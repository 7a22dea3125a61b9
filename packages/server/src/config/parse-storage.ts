import { ConfigError } from './config-error.js'
import type { ConfigReader } from './config-reader.js'
import type { AzureStorageConfig, S3StorageConfig, StorageConfig, StorageDriverConfig, StorageDriverType } from './config-types.js'
import { readGarbageCollect } from './parse-maintenance.js'

/** The registry:2 storage drivers wharf has. */
export const STORAGE_DRIVER_TYPES: readonly StorageDriverType[] = ['filesystem', 's3', 'azure', 'inmemory']

/** Keys of `storage` that are settings rather than drivers. */
const STORAGE_SETTINGS = new Set(['delete', 'redirect', 'maintenance', 'cache', 'tag', 'registry2'])
const REGISTRY2_MODES = ['auto', 'on', 'off'] as const

const MIB = 1024 * 1024

/** The registry:2 driver name of a storage configuration. */
export function toStorageDriverType(storage: StorageDriverConfig): StorageDriverType {
  return STORAGE_DRIVER_TYPES.find((type) => type in storage)!
}

/** Reads `storage`: exactly one driver (filesystem at `./data` when none), deletion, redirects, maintenance. */
export function readStorage(r: ConfigReader, defaults: { deleteEnabled: boolean }): StorageConfig {
  const drivers = r.keys('storage').filter((key) => !STORAGE_SETTINGS.has(key))
  if (drivers.length > 1) {
    throw new ConfigError(
      `storage: give exactly one storage driver, found ${drivers.join(' and ')}` +
        ` (${drivers.map((d) => r.describe(`storage.${d}`)).join(', ')}); with environment variables, REGISTRY_STORAGE=<driver> selects one`,
    )
  }
  const type = drivers[0] ?? 'filesystem'
  if (!(STORAGE_DRIVER_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`${r.describe(`storage.${type}`)}: wharf has no "${type}" storage driver; use one of ${STORAGE_DRIVER_TYPES.join(', ')}`)
  }
  const driver = readDriver(r, type as StorageDriverType)
  acceptCache(r)
  return {
    ...driver,
    delete: { enabled: r.boolean('storage.delete.enabled') ?? defaults.deleteEnabled },
    redirect: { disable: r.boolean('storage.redirect.disable') ?? false },
    registry2: readRegistry2Mode(r),
    maintenance: {
      uploadpurging: {
        enabled: r.boolean('storage.maintenance.uploadpurging.enabled') ?? true,
        age: r.duration('storage.maintenance.uploadpurging.age', { min: 1 }) ?? 168 * 3_600_000,
        interval: r.duration('storage.maintenance.uploadpurging.interval', { min: 100 }) ?? 24 * 3_600_000,
        dryrun: r.boolean('storage.maintenance.uploadpurging.dryrun') ?? false,
      },
      readonly: { enabled: r.boolean('storage.maintenance.readonly.enabled') ?? false },
      garbagecollect: readGarbageCollect(r),
    },
  }
}

/** `storage.registry2` (wharf's own key): whether reads fall back to a registry:2 tree on the same storage. */
function readRegistry2Mode(r: ConfigReader): (typeof REGISTRY2_MODES)[number] {
  const mode = r.string('storage.registry2') ?? 'auto'
  if (!(REGISTRY2_MODES as readonly string[]).includes(mode)) r.fail('storage.registry2', 'auto, on or off', mode)
  return mode as (typeof REGISTRY2_MODES)[number]
}

/** `storage.cache.blobdescriptor: inmemory` (in registry:2's stock config) needs nothing in wharf. */
function acceptCache(r: ConfigReader): void {
  acceptWhen(r, 'storage.cache.blobdescriptor', (v) => typeof v === 'string' && v.toLowerCase() === 'inmemory')
  r.accept('storage.cache.blobdescriptorsize')
}

function readDriver(r: ConfigReader, type: StorageDriverType): StorageDriverConfig {
  switch (type) {
    case 'filesystem':
      // maxthreads bounds Go's blocking syscalls; Node's libuv pool plays that role.
      r.accept('storage.filesystem.maxthreads')
      return { filesystem: { rootdirectory: r.string('storage.filesystem.rootdirectory') || './data' } }
    case 's3':
      return { s3: readS3(r) }
    case 'azure':
      return { azure: readAzure(r) }
    case 'inmemory':
      r.accept('storage.inmemory')
      return { inmemory: {} }
  }
}

function readS3(r: ConfigReader): S3StorageConfig {
  const p = 'storage.s3'
  const regionendpoint = r.string(`${p}.regionendpoint`) || undefined
  if (regionendpoint !== undefined && !isEndpoint(regionendpoint)) r.fail(`${p}.regionendpoint`, 'an endpoint such as http://127.0.0.1:7480 or s3.example.com', regionendpoint)
  const region = r.string(`${p}.region`) || (regionendpoint ? 'us-east-1' : r.requiredString(`${p}.region`, 'an AWS region such as us-east-1'))
  const accesskey = r.string(`${p}.accesskey`) || undefined
  const secretkey = r.string(`${p}.secretkey`) || undefined
  if ((accesskey === undefined) !== (secretkey === undefined)) {
    const missing = accesskey === undefined ? 'accesskey' : 'secretkey'
    r.fail(`${p}.${missing}`, 'accesskey and secretkey together (or neither, to use the AWS credential chain)', undefined)
  }
  const config: S3StorageConfig = {
    bucket: r.requiredString(`${p}.bucket`, 'a bucket name'),
    region,
    forcepathstyle: r.boolean(`${p}.forcepathstyle`) ?? false,
    secure: r.boolean(`${p}.secure`) ?? true,
  }
  if (regionendpoint) config.regionendpoint = regionendpoint
  if (accesskey && secretkey) Object.assign(config, { accesskey, secretkey })
  const sessiontoken = r.string(`${p}.sessiontoken`)
  if (sessiontoken) config.sessiontoken = sessiontoken
  const rootdirectory = r.string(`${p}.rootdirectory`)
  if (rootdirectory) config.rootdirectory = rootdirectory
  const chunksize = r.integer(`${p}.chunksize`, { min: 5 * MIB, max: 5 * 1024 * MIB })
  if (chunksize !== undefined) config.chunksize = chunksize
  // Settings whose registry:2 default is what wharf does anyway. Other values stay unread, so the
  // start-up warning names them.
  acceptWhen(r, `${p}.v4auth`, (v) => v === true || v === 'true')
  for (const key of ['encrypt', 'accelerate', 'skipverify', 'usedualstack']) acceptWhen(r, `${p}.${key}`, (v) => v === false || v === 'false')
  acceptWhen(r, `${p}.storageclass`, (v) => typeof v === 'string' && v.toUpperCase() === 'STANDARD')
  acceptWhen(r, `${p}.objectacl`, (v) => v === 'private')
  acceptWhen(r, `${p}.keyid`, (v) => v === '' || v === null)
  // wharf never copies blob bytes (commit writes a small link), so copy tuning has nothing to tune.
  for (const key of ['multipartcopychunksize', 'multipartcopymaxconcurrency', 'multipartcopythresholdsize', 'loglevel']) r.accept(`${p}.${key}`)
  return config
}

function readAzure(r: ConfigReader): AzureStorageConfig {
  const p = 'storage.azure'
  const serviceurl = r.string(`${p}.serviceurl`) || undefined
  if (serviceurl !== undefined && !/^https?:\/\/[^/\s]+/i.test(serviceurl)) r.fail(`${p}.serviceurl`, 'an account URL such as http://127.0.0.1:10000/devstoreaccount1', serviceurl)
  const config: AzureStorageConfig = {
    accountname: r.requiredString(`${p}.accountname`, 'a storage account name'),
    accountkey: r.requiredString(`${p}.accountkey`, 'the base64 account key'),
    container: r.requiredString(`${p}.container`, 'a container name'),
    realm: r.string(`${p}.realm`) || 'core.windows.net',
  }
  if (serviceurl) config.serviceurl = serviceurl
  const rootdirectory = r.string(`${p}.rootdirectory`)
  if (rootdirectory) config.rootdirectory = rootdirectory
  return config
}

function acceptWhen(r: ConfigReader, path: string, matches: (value: unknown) => boolean): void {
  if (!r.has(path)) return
  if (matches(r.peek(path))) r.accept(path)
}

function isEndpoint(value: string): boolean {
  return /^(https?:\/\/)?[^/\s:]+(:\d+)?(\/.*)?$/i.test(value)
}
