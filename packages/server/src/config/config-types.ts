import type { GarbageCollectConfig } from './parse-maintenance.js'
import type { ProxyConfig } from './parse-proxy.js'

export type { GarbageCollectConfig }

/**
 * The standalone server's configuration as plain typed objects. The shape and key names are
 * registry:2's `config.yml` (so the YAML, the `REGISTRY_…` variables and these objects map one to
 * one); values are checked and complete, with defaults applied. Durations are milliseconds.
 * `parseConfig`/`loadConfig` produce it from YAML and the environment; `toServerOptions` turns it into
 * the live objects `startServer` runs.
 */
export interface WharfConfig {
  log: LogConfig
  storage: StorageConfig
  http: HttpConfig
  /** Absent: everyone may pull and push (registry:2 without an `auth` section). */
  auth?: AuthConfig
  health: HealthConfig
  notifications: NotificationsConfig
  validation: ValidationConfig
  /** wharf's own section: quotas and immutable tags. */
  policies: PoliciesConfig
  /** wharf's own section: the web UI at /ui/ (parse-ui.ts); absent: on. */
  ui?: import('./parse-ui.js').UiConfig
  /** registry:2's pull-through cache (parse-proxy.ts); absent: not a mirror. */
  proxy?: ProxyConfig
}

/** Log levels, most to least severe. registry:2's `panic` is read as `fatal`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

export interface LogConfig {
  /** Default `info`. At `warn` and above the per-request access lines are not written (as registry:2). */
  level: LogLevel
  /**
   * `json` (default; one JSON object per line), `text` (logfmt: `time=… level=info msg="…" key=value`)
   * or `logstash` (JSON with logstash's `@timestamp`, `@version` and `message`, as registry:2 writes it).
   */
  formatter: 'json' | 'text' | 'logstash'
  /** Fields added to every line, e.g. `{ service: 'registry' }`. */
  fields: Record<string, string>
  accesslog: {
    /** No per-request line at all. Default false. */
    disabled: boolean
  }
}

/** `storage.filesystem`: a directory. */
export interface FilesystemStorageConfig {
  /** Default `./data` (registry:2's is `/var/lib/registry`); relative paths resolve against the working directory. */
  rootdirectory: string
}

/** `storage.s3`: an S3 bucket, on AWS or any S3-compatible store. */
export interface S3StorageConfig {
  bucket: string
  /** Required on AWS; defaults to `us-east-1` when `regionendpoint` names another store. */
  region: string
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:7480`. Without a scheme, `secure` picks https or http. */
  regionendpoint?: string
  /** Static credentials; without them the AWS SDK's provider chain (environment, profile, role) is used. */
  accesskey?: string
  secretkey?: string
  sessiontoken?: string
  /** Path-style addressing (`endpoint/bucket/key`); most S3-compatible stores need it. Default false. */
  forcepathstyle: boolean
  /** Key prefix inside the bucket (registry:2 writes it as a path, e.g. `/registry`). */
  rootdirectory?: string
  /** Part size of multipart writes in bytes (at least 5 MiB). Default: the driver's (8 MiB). */
  chunksize?: number
  /** Use https for an endpoint given without a scheme. Default true. */
  secure: boolean
}

/** `storage.azure`: a blob container, on Azure or Azurite. */
export interface AzureStorageConfig {
  accountname: string
  accountkey: string
  container: string
  /** Endpoint suffix: the account URL is `https://<accountname>.blob.<realm>`. Default `core.windows.net`. */
  realm: string
  /** The account URL itself, overriding `realm` (e.g. Azurite's `http://127.0.0.1:10000/devstoreaccount1`). */
  serviceurl?: string
  /** A folder inside the container. */
  rootdirectory?: string
}

/** Exactly one storage driver, under its registry:2 key. */
export type StorageDriverConfig =
  | { filesystem: FilesystemStorageConfig }
  | { s3: S3StorageConfig }
  | { azure: AzureStorageConfig }
  | { inmemory: Record<string, never> }

/** The registry:2 name of a storage driver (`filesystem`, `s3`, `azure`, `inmemory`). */
export type StorageDriverType = 'filesystem' | 's3' | 'azure' | 'inmemory'

export type StorageConfig = StorageDriverConfig & {
  delete: {
    /**
     * Whether manifests, tags and blobs may be deleted. Default true when wharf runs with no
     * configuration file (`npm start`), false with one (registry:2's default).
     */
    enabled: boolean
  }
  redirect: {
    /** Serve blobs through the registry instead of redirecting clients to S3/Azure. Default false, as registry:2. */
    disable: boolean
  }
  /**
   * wharf's own key: whether reads fall back to a registry:2 tree (`docker/registry/v2/...`) under
   * the same root. `auto` (default): when one is found and `wharf migrate` has not completed;
   * `on`: always; `off`: never (records `migrate` wrote still read registry:2's bytes).
   */
  registry2: 'auto' | 'on' | 'off'
  maintenance: {
    uploadpurging: {
      /** Default true (registry:2's default); off in read-only mode. */
      enabled: boolean
      /** Sessions idle for longer than this are removed. Default 168h. */
      age: number
      /** Time between purges. Default 24h. */
      interval: number
      /** Only log what would be removed. Default false. */
      dryrun: boolean
    }
    readonly: {
      /** Every write answers 405 UNSUPPORTED; reads keep working. Default false. */
      enabled: boolean
    }
    /** wharf only: scheduled online garbage collection (see parse-maintenance.ts). */
    garbagecollect: GarbageCollectConfig
  }
}

export interface HttpConfig {
  /** `host:port` to listen on; `:5000` means every interface. Default `127.0.0.1:5000`. */
  addr: string
  /** The registry's external URL (e.g. `https://registry.example.com`), used in notification URLs. */
  host?: string
  /** How long a shutdown waits for in-flight requests before cutting them. Default 30s. */
  draintimeout: number
  /** Headers added to every response, e.g. `{ 'X-Content-Type-Options': ['nosniff'] }`. */
  headers: Record<string, string[]>
  /** The largest request header block accepted, in bytes (431 beyond). Default 256 KiB. */
  maxheaderbytes: number
  /** How long a client has to send a request's headers before it is answered 408. Default 60s. */
  headerstimeout: number
  /** How long an upload body may send nothing before it is answered 408 (resumable). Default 60s; 0 turns it off. */
  bodyidletimeout: number
  /**
   * wharf's own key: addresses and CIDR ranges of the reverse proxies in front of the server. Only
   * from these is `X-Forwarded-For` taken as the client address and `X-Request-Id` as the request id.
   * Absent: none (the socket address and a fresh id always).
   */
  trustedproxies?: string[]
  /** Serve HTTPS. */
  tls?: TlsConfig
  /** A second listener for `/debug/health` and Prometheus metrics. */
  debug?: DebugConfig
}

export interface TlsConfig {
  /** PEM certificate (chain) file. */
  certificate: string
  /** PEM private key file. */
  key: string
  /** PEM CA files; when given, clients must present a certificate signed by one of them (mutual TLS). */
  clientcas: string[]
  /** Lowest TLS version accepted: `tls1.2` (default) or `tls1.3`. */
  minimumtls: 'tls1.2' | 'tls1.3'
}

export interface DebugConfig {
  /** `host:port` of the debug listener. */
  addr: string
  prometheus: {
    /** Serve Prometheus metrics. Default false, as registry:2. */
    enabled: boolean
    /** Default `/metrics`. */
    path: string
    /** wharf's own: also expose the `registry_` names (registry:2's) beside the `wharf_` ones. Default false. */
    registry2names: boolean
  }
}

/** Exactly one authentication scheme, under its registry:2 key. */
export type AuthConfig =
  | { htpasswd: HtpasswdConfig }
  | { token: { realm: string; service: string; issuer: string; rootcertbundle?: string; jwks?: string } }

export interface HtpasswdConfig {
  realm: string
  path: string
  /**
   * wharf only (`auth.htpasswd.strict`): refuse to start when any line of the file cannot be used.
   * Default false: such a line refuses only its user, with a warning, as registry:2 does.
   */
  strict?: boolean
}

export interface HealthConfig {
  storagedriver: {
    /** Probe the storage periodically. Default true (registry:2's default is false). */
    enabled: boolean
    /** Time between probes. Default 10s. */
    interval: number
    /** Consecutive failed probes after which health reports 503. Default 3. */
    threshold: number
  }
}

export interface NotificationsConfig {
  endpoints: NotificationEndpointConfig[]
}

/** One webhook, as registry:2's `notifications.endpoints[]`. */
export interface NotificationEndpointConfig {
  name: string
  /** Skip this endpoint. Default false. */
  disabled: boolean
  url: string
  /** Headers sent with every POST, e.g. `{ Authorization: ['Bearer …'] }`. */
  headers: Record<string, string[]>
  /** Time a POST may take. Default 1s. */
  timeout: number
  /** Consecutive failures after which delivery waits `backoff` between attempts. Default 10. */
  threshold: number
  /** Wait between attempts once `threshold` is reached. Default 1s. */
  backoff: number
  /** Events whose target has one of these media types are not sent (registry:2 `ignoredmediatypes`). */
  ignoredmediatypes: string[]
  ignore: {
    mediatypes: string[]
    /** Actions not sent, e.g. `['pull']`. */
    actions: string[]
  }
}

/** `validation`: what the registry checks in pushed content. Only `manifests.indexes` is read. */
export interface ValidationConfig {
  manifests: {
    indexes: {
      /**
       * Which children of a pushed image index must already be in the repository (registry:3):
       * `all` (default) every child, `none` no child, `list` the children whose platform's os and
       * architecture match an entry of `platformlist`. Image manifests' config and layers are
       * always checked.
       */
      platforms: 'all' | 'none' | 'list'
      /** The platforms `list` checks (read only with `list`). */
      platformlist: Array<{ os: string; architecture: string }>
    }
  }
}

/** `policies` (wharf only): the core `quotas` and `immutableTags` options, as rule lists. */
export interface PoliciesConfig {
  /** `[{ repositories: team-a/**, maxbytes: 10GiB }]`: each matching repository holds at most that many blob bytes. */
  quotas: Array<{ repositories: string; maxBytes: number }>
  /** `[{ repositories: prod/**, tags: [v*] }]`: matching tags cannot be moved or deleted once they exist. */
  immutabletags: Array<{ repositories: string; tags: readonly string[] }>
  /**
   * `[{ repositories: ci/**, keeplast: 10, keeptags: [v*, latest], untaggedafter: 168h, keeppulledwithin: 720h }]`:
   * core's `retention` rules, applied before each scheduled garbage collection.
   */
  retention: Array<{ repositories: string; keepLast?: number; keepTags?: readonly string[]; untaggedAfterMs?: number; keepPulledWithinMs?: number }>
  /** How often pulls noted in memory are written to storage (for `keeppulledwithin`). Default 1m. */
  pullflushinterval: number
}
