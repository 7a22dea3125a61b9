import { readFileSync } from 'node:fs'
import { X509Certificate, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, exportJWK, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import { toLibtrustKeyId } from './libtrust-key-id.js'
import { toPublicKey, type PublicKeyInput } from './signing-key.js'

/**
 * The keys token auth trusts. Any combination may be given (e.g. during a key rotation).
 * - `certificates`: a PEM bundle of X.509 certificates, as registry:2's `rootcertbundle`; the text
 *   itself or a file path.
 * - `jwks`: a JSON Web Key Set object, an `http(s)://` URL (fetched and cached by jose, refetched
 *   when an unknown `kid` shows up) or a file path.
 * - `publicKey`: one public key (PEM, KeyObject or CryptoKey).
 */
export interface TokenKeys {
  certificates?: string
  jwks?: JSONWebKeySet | URL | string
  publicKey?: PublicKeyInput
}

/** One trusted static key and the key ids it answers to. */
interface StaticKey {
  key: KeyObject
  kids: Set<string>
  certificate?: X509Certificate
}

/**
 * What verification needs from the configured keys: the static keys a token header may name, the
 * certificates an `x5c` chain may end at, and jose's resolver for a JWKS.
 */
export interface TrustedKeys {
  /** Settles when every key id is known (thumbprints are computed asynchronously). Never rejects. */
  ready: Promise<void>
  /** Static keys matching the header: the one its `kid` names, or all of them without a `kid`. */
  candidates(header: { kid?: string }): KeyObject[]
  /** The leaf key of an `x5c` chain that ends at a trusted certificate, or undefined. */
  fromCertificateChain(x5c: unknown, now: Date): KeyObject | undefined
  jwks?: JWTVerifyGetKey
}

/** Loads and indexes the configured keys. Throws at once for unreadable or unusable keys. */
export function loadTrustedKeys(keys: TokenKeys): TrustedKeys {
  const statics: StaticKey[] = []
  if (keys.certificates !== undefined) {
    const text = keys.certificates.includes('-----BEGIN') ? keys.certificates : readFileSync(keys.certificates, 'utf8')
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    if (blocks.length === 0) throw new TypeError('the certificate bundle holds no PEM certificate')
    for (const block of blocks) {
      const certificate = new X509Certificate(block)
      statics.push({ key: certificate.publicKey, kids: new Set([toLibtrustKeyId(certificate.publicKey)]), certificate })
    }
  }
  if (keys.publicKey !== undefined) {
    const key = toPublicKey(keys.publicKey)
    statics.push({ key, kids: new Set([toLibtrustKeyId(key)]) })
  }
  let jwks: JWTVerifyGetKey | undefined
  if (keys.jwks !== undefined) jwks = toJwksResolver(keys.jwks)
  if (statics.length === 0 && !jwks) throw new TypeError('token auth needs `keys`: certificates, jwks or publicKey')

  const ready = Promise.all(statics.map(async (entry) => entry.kids.add(await toThumbprint(entry.key)))).then(
    () => undefined,
    () => undefined, // a key jose cannot express as a JWK keeps only its libtrust id
  )
  const roots = statics.flatMap((entry) => (entry.certificate ? [entry.certificate] : []))
  return {
    ready,
    jwks,
    candidates(header) {
      if (header.kid === undefined) return statics.map((entry) => entry.key)
      return statics.filter((entry) => entry.kids.has(header.kid as string)).map((entry) => entry.key)
    },
    fromCertificateChain(x5c, now) {
      return roots.length > 0 ? toVerifiedLeafKey(x5c, roots, now) : undefined
    },
  }
}

/**
 * A static key answers to two key ids: libtrust's (what registry:2 token servers put in `kid`) and
 * its RFC 7638 JWK thumbprint (what JWKS-minded token servers use).
 */
async function toThumbprint(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(key))
}

function toJwksResolver(jwks: JSONWebKeySet | URL | string): JWTVerifyGetKey {
  if (jwks instanceof URL || (typeof jwks === 'string' && /^https?:\/\//i.test(jwks))) {
    return createRemoteJWKSet(new URL(jwks))
  }
  const set = typeof jwks === 'string' ? (JSON.parse(readFileSync(jwks, 'utf8')) as JSONWebKeySet) : jwks
  if (!set || !Array.isArray(set.keys)) throw new TypeError('the JWKS has no `keys` array')
  return createLocalJWKSet(set)
}

/**
 * Follows an `x5c` header (leaf first, then intermediates, base64 DER each) up to one of the trusted
 * certificates, as registry:2 does with its root bundle: every link must be issued and signed by the
 * next, every certificate must be valid now, and the last must be a trusted certificate or be
 * issued and signed by one. Anything else (malformed, too long, expired, untrusted) → undefined.
 */
function toVerifiedLeafKey(x5c: unknown, roots: readonly X509Certificate[], now: Date): KeyObject | undefined {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 8) return undefined
  let chain: X509Certificate[]
  try {
    chain = x5c.map((der) => {
      if (typeof der !== 'string') throw new TypeError('x5c entries are strings')
      return new X509Certificate(Buffer.from(der, 'base64'))
    })
  } catch {
    return undefined
  }
  const isCurrent = (certificate: X509Certificate) =>
    new Date(certificate.validFrom) <= now && now <= new Date(certificate.validTo)
  const issues = (issuer: X509Certificate, subject: X509Certificate) =>
    subject.checkIssued(issuer) && subject.verify(issuer.publicKey)
  if (!chain.every(isCurrent)) return undefined
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issues(chain[i + 1] as X509Certificate, chain[i] as X509Certificate)) return undefined
  }
  const top = chain[chain.length - 1] as X509Certificate
  const trusted = roots.some(
    (root) => isCurrent(root) && (root.fingerprint256 === top.fingerprint256 || issues(root, top)),
  )
  return trusted ? (chain[0] as X509Certificate).publicKey : undefined
}
