import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto'

/** A private key as the token server accepts it: PEM text (PKCS#8, PKCS#1 or SEC1), a KeyObject or a CryptoKey. */
export type SigningKeyInput = string | KeyObject | webcrypto.CryptoKey

/** A public key as token auth accepts it: PEM (SPKI or PKCS#1), a KeyObject or a CryptoKey. */
export type PublicKeyInput = string | KeyObject | webcrypto.CryptoKey

/** JWS algorithms accepted by default: the asymmetric ones; never `none` or HMAC. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

/** Normalizes a private key input to a KeyObject. Throws a TypeError for anything but a private key. */
export function toPrivateKey(input: SigningKeyInput): KeyObject {
  const key = typeof input === 'string' ? createPrivateKey(input) : input instanceof KeyObject ? input : KeyObject.from(input)
  if (key.type !== 'private') throw new TypeError('the signing key must be a private key')
  return key
}

/** Normalizes a public key input (or the public half of a private one) to a KeyObject. */
export function toPublicKey(input: PublicKeyInput): KeyObject {
  const key = typeof input === 'string' ? createPublicKey(input) : input instanceof KeyObject ? input : KeyObject.from(input)
  if (key.type === 'secret') throw new TypeError('token keys must be asymmetric public keys')
  return key.type === 'private' ? createPublicKey(key) : key
}

/** The usual JWS algorithm for a key: RS256 for RSA, ES256/384/512 by curve, PS256, EdDSA. */
export function toDefaultAlgorithm(key: KeyObject): string {
  const type = key.asymmetricKeyType
  if (type === 'rsa') return 'RS256'
  if (type === 'rsa-pss') return 'PS256'
  if (type === 'ed25519' || type === 'ed448') return 'EdDSA'
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1') return 'ES256'
    if (curve === 'secp384r1') return 'ES384'
    if (curve === 'secp521r1') return 'ES512'
  }
  throw new TypeError(`no JWS algorithm for a ${type ?? 'unknown'} key; pass \`alg\``)
}
