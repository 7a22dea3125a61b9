import { createHash, createPublicKey, type KeyObject } from 'node:crypto'

// RFC 4648 base32 alphabet, as Go's base32.StdEncoding that libtrust uses.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * The key id registry:2 (docker/libtrust) expects in a token's `kid` header when it verifies with a
 * `rootcertbundle`: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32, written as
 * twelve `:`-separated groups of four characters. Given a private key, uses its public half.
 */
export function toLibtrustKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const digest = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest()
  // 30 bytes are exactly 48 base32 characters: no padding to handle. A base32 package would be a
  // dependency for these few lines.
  let bits = 0
  let value = 0
  let encoded = ''
  for (const byte of digest.subarray(0, 30)) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      encoded += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  return encoded.match(/.{4}/g)!.join(':')
}
