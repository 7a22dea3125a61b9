import { ConfigError } from './config-error.js'
import type { ConfigReader } from './config-reader.js'
import type { AuthConfig, HealthConfig, HtpasswdConfig, LogConfig, LogLevel, NotificationEndpointConfig, NotificationsConfig } from './config-types.js'

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'] as const
const EVENT_ACTIONS = ['push', 'pull', 'mount', 'delete']

/** Reads `log` (and the old top-level `loglevel`). `notes` receives remarks for the start-up warning. */
export function readLog(r: ConfigReader, notes: string[]): LogConfig {
  const level = r.choice('log.level', LOG_LEVELS) ?? r.choice('loglevel', LOG_LEVELS) ?? 'info'
  const formatter = r.choice('log.formatter', ['text', 'json', 'logstash']) ?? 'json'
  const fields: Record<string, string> = {}
  for (const name of r.keys('log.fields')) {
    const value = r.raw(`log.fields.${name}`)
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') r.fail(`log.fields.${name}`, 'a string', value)
    fields[name] = String(value)
  }
  r.accept('log.fields')
  return {
    level: toLogLevel(level),
    formatter,
    fields,
    accesslog: { disabled: r.boolean('log.accesslog.disabled') ?? false },
  }
}

function toLogLevel(level: (typeof LOG_LEVELS)[number]): LogLevel {
  if (level === 'panic') return 'fatal'
  if (level === 'warning') return 'warn'
  return level
}

/** Reads `auth`: at most one scheme, `htpasswd` or `token`; anything else stops the start (it would leave the registry open). */
export function readAuth(r: ConfigReader): AuthConfig | undefined {
  const schemes = r.keys('auth')
  if (schemes.length === 0) {
    r.accept('auth')
    return undefined
  }
  if (schemes.length > 1) {
    throw new ConfigError(`auth: give one authentication scheme, found ${schemes.join(' and ')}; with environment variables, REGISTRY_AUTH=<scheme> selects one`)
  }
  const scheme = schemes[0]!
  if (scheme === 'htpasswd') {
    const htpasswd: HtpasswdConfig = {
      realm: r.requiredString('auth.htpasswd.realm', 'the realm of the Basic challenge, e.g. "Registry Realm"'),
      path: r.requiredString('auth.htpasswd.path', 'the path of an htpasswd file of bcrypt entries (htpasswd -B)'),
    }
    const strict = r.boolean('auth.htpasswd.strict')
    if (strict !== undefined) htpasswd.strict = strict
    return { htpasswd }
  }
  if (scheme === 'token') {
    const token: Extract<AuthConfig, { token: unknown }>['token'] = {
      realm: r.requiredString('auth.token.realm', 'the token endpoint URL clients are sent to'),
      service: r.requiredString('auth.token.service', 'the service name tokens are issued for'),
      issuer: r.requiredString('auth.token.issuer', 'the issuer name tokens carry'),
    }
    const rootcertbundle = r.string('auth.token.rootcertbundle')
    const jwks = r.string('auth.token.jwks')
    if (rootcertbundle) token.rootcertbundle = rootcertbundle
    if (jwks) token.jwks = jwks
    if (!rootcertbundle && !jwks) r.fail('auth.token.rootcertbundle', 'a PEM certificate bundle file (or auth.token.jwks) to verify tokens with', undefined)
    // Registry-side redirects of the token realm are a Docker Hub convenience; a false value changes nothing.
    if (r.peek('auth.token.autoredirect') === false) r.accept('auth.token.autoredirect')
    return { token }
  }
  throw new ConfigError(`${r.describe(`auth.${scheme}`)}: wharf has no "${scheme}" authentication; use htpasswd or token (or no auth section)`)
}

/** Reads `health.storagedriver`. */
export function readHealth(r: ConfigReader): HealthConfig {
  const threshold = r.integer('health.storagedriver.threshold', { min: 0, max: 1000 })
  return {
    storagedriver: {
      enabled: r.boolean('health.storagedriver.enabled') ?? true,
      interval: r.duration('health.storagedriver.interval', { min: 10 }) ?? 10_000,
      // registry:2 treats 0 (unset) as "fail at once".
      threshold: threshold === undefined ? 3 : Math.max(1, threshold),
    },
  }
}

/** Reads `notifications.endpoints`. */
export function readNotifications(r: ConfigReader): NotificationsConfig {
  const count = r.listLength('notifications.endpoints')
  const endpoints: NotificationEndpointConfig[] = []
  const names = new Set<string>()
  for (let i = 0; i < count; i++) {
    const p = `notifications.endpoints.${i}`
    const name = r.requiredString(`${p}.name`, 'a name for the endpoint (used in logs and metrics)')
    if (names.has(name)) r.fail(`${p}.name`, 'a name no other endpoint has', name)
    names.add(name)
    const url = r.requiredString(`${p}.url`, 'an http(s) URL')
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) r.fail(`${p}.url`, 'an http(s) URL', url)
    const actions = r.stringList(`${p}.ignore.actions`) ?? []
    const unknownAction = actions.find((action) => !EVENT_ACTIONS.includes(action))
    if (unknownAction !== undefined) r.fail(`${p}.ignore.actions`, `a list of actions among ${EVENT_ACTIONS.join(', ')}`, actions)
    endpoints.push({
      name,
      disabled: r.boolean(`${p}.disabled`) ?? false,
      url,
      headers: r.headers(`${p}.headers`) ?? {},
      timeout: r.duration(`${p}.timeout`, { min: 1 }) ?? 1000,
      threshold: Math.max(1, r.integer(`${p}.threshold`, { min: 0, max: 1_000_000 }) ?? 10),
      backoff: r.duration(`${p}.backoff`) ?? 1000,
      ignoredmediatypes: r.stringList(`${p}.ignoredmediatypes`) ?? [],
      ignore: { mediatypes: r.stringList(`${p}.ignore.mediatypes`) ?? [], actions },
    })
  }
  return { endpoints }
}
