/**
 * Digests as the OCI image spec defines them: `algorithm ":" encoded`. Only registered algorithms that
 * the registry can verify are accepted (sha256, sha512); anything else is not a valid digest here.
 */
export interface Digest {
  algorithm: DigestAlgorithm
  /** Lower-case hex of the hash. */
  hex: string
  /** The canonical `algorithm:hex` string. */
  value: string
}

export type DigestAlgorithm = 'sha256' | 'sha512'

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 }
const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/

/** Parses a digest string; `undefined` when it is malformed or its algorithm is unsupported. */
export function toDigest(value: string): Digest | undefined {
  const match = DIGEST.exec(value)
  if (!match) return undefined
  const algorithm = match[1] as DigestAlgorithm
  const hex = match[2]!
  if (hex.length !== HEX_LENGTH[algorithm]) return undefined
  return { algorithm, hex, value }
}

/** True when `value` is a digest this registry accepts. */
export function isDigest(value: string): boolean {
  return toDigest(value) !== undefined
}

/** A digest from an algorithm and the raw hash bytes or hex. */
export function digestOf(algorithm: DigestAlgorithm, hex: string): Digest {
  return { algorithm, hex, value: `${algorithm}:${hex}` }
}

/** True when the string looks like `alg:encoded` at all (to tell digests from tags in references). */
export function looksLikeDigest(value: string): boolean {
  return value.includes(':')
}
