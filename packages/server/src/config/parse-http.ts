import { DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_HEADER_BYTES } from '@wharf/http-adapter'
import { ConfigError } from './config-error.js'
import type { ConfigReader } from './config-reader.js'
import type { DebugConfig, HttpConfig, TlsConfig } from './config-types.js'
import { toListenAddress } from './listen-address.js'
import { createTrustedProxies } from '../trusted-proxies.js'

/** wharf's listen address when none is configured: loopback only (registry:2's stock config uses `:5000`). */
export const DEFAULT_ADDR = '127.0.0.1:5000'

/** Reads `http`: listen address, external host, drain timeout, headers, request limits, TLS and the debug listener. */
export function readHttp(r: ConfigReader): HttpConfig {
  const addr = r.string('http.addr') || DEFAULT_ADDR
  toListenAddress(addr, r.describe('http.addr'))
  const net = r.choice('http.net', ['tcp', 'unix'])
  if (net === 'unix') throw new ConfigError(`${r.describe('http.net')}: wharf listens on TCP only; set http.net to tcp (or remove it)`)
  const prefix = r.string('http.prefix')
  if (prefix !== undefined && prefix.replace(/\/+/g, '') !== '') {
    throw new ConfigError(`${r.describe('http.prefix')}: wharf serves the API at /v2 only; mount it under a path with @wharf/http-adapter instead`)
  }
  // Upload state lives in storage (nothing to sign) and Location headers are always relative.
  r.accept('http.secret')
  r.accept('http.relativeurls')
  // wharf serves HTTP/1.1, which every registry client speaks.
  r.accept('http.http2')
  const http: HttpConfig = {
    addr,
    draintimeout: r.duration('http.draintimeout') ?? 30_000,
    headers: r.headers('http.headers') ?? {},
    // wharf's own keys: registry:2 (Go) has no header timeout and a 1 MiB header limit.
    maxheaderbytes: r.integer('http.maxheaderbytes', { min: 1024, max: 16 * 1024 * 1024 }) ?? DEFAULT_MAX_HEADER_BYTES,
    headerstimeout: r.duration('http.headerstimeout', { min: 1 }) ?? DEFAULT_HEADERS_TIMEOUT_MS,
    bodyidletimeout: r.duration('http.bodyidletimeout') ?? DEFAULT_BODY_IDLE_TIMEOUT_MS,
  }
  // wharf's own key: the proxies whose X-Forwarded-For and X-Request-Id are believed.
  const trustedproxies = r.stringList('http.trustedproxies')
  if (trustedproxies && trustedproxies.length > 0) {
    try {
      createTrustedProxies(trustedproxies)
    } catch (error) {
      r.fail('http.trustedproxies', `a list of IP addresses and CIDR ranges (${(error as Error).message})`, trustedproxies)
    }
    http.trustedproxies = trustedproxies
  }
  const host = r.string('http.host')
  if (host) {
    if (!/^https?:\/\/[^/\s]+\/?$/i.test(host)) r.fail('http.host', 'the external URL, such as https://registry.example.com', host)
    http.host = host.replace(/\/$/, '')
  }
  const tls = readTls(r)
  if (tls) http.tls = tls
  const debug = readDebug(r)
  if (debug) http.debug = debug
  return http
}

function readTls(r: ConfigReader): TlsConfig | undefined {
  if (r.has('http.tls.letsencrypt')) {
    throw new ConfigError(`${r.describe('http.tls.letsencrypt')}: wharf does not obtain certificates itself; give http.tls.certificate and http.tls.key`)
  }
  const certificate = r.string('http.tls.certificate') || undefined
  const key = r.string('http.tls.key') || undefined
  const clientcas = r.stringList('http.tls.clientcas') ?? []
  const minimumtls = r.choice('http.tls.minimumtls', ['tls1.2', 'tls1.3'])
  if (!certificate && !key) {
    if (clientcas.length > 0) r.fail('http.tls.certificate', 'a PEM certificate file (clientcas needs TLS)', undefined)
    return undefined
  }
  if (!certificate) r.fail('http.tls.certificate', 'a PEM certificate file to go with http.tls.key', undefined)
  if (!key) r.fail('http.tls.key', 'a PEM private key file to go with http.tls.certificate', undefined)
  return { certificate, key, clientcas, minimumtls: minimumtls ?? 'tls1.2' }
}

function readDebug(r: ConfigReader): DebugConfig | undefined {
  const addr = r.string('http.debug.addr') || undefined
  const enabled = r.boolean('http.debug.prometheus.enabled') ?? false
  const path = r.string('http.debug.prometheus.path') || '/metrics'
  // wharf's own key: registry:2's metric names beside wharf's, for dashboards built on registry:2.
  const registry2names = r.boolean('http.debug.prometheus.registry2names') ?? false
  if (!path.startsWith('/') || /[?#\s]/.test(path)) r.fail('http.debug.prometheus.path', 'a path such as /metrics', path)
  if (!addr) {
    if (enabled) r.fail('http.debug.addr', 'host:port of the debug listener (needed by http.debug.prometheus)', undefined)
    return undefined
  }
  toListenAddress(addr, r.describe('http.debug.addr'))
  return { addr, prometheus: { enabled, path, registry2names } }
}
