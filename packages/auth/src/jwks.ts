import { exportJWK, type JSONWebKeySet } from 'jose'
import { toLibtrustKeyId } from './libtrust-key-id.js'
import { toDefaultAlgorithm, toPublicKey, type SigningKeyInput } from './signing-key.js'

/**
 * The public JWKS matching a token server's signing key, for `createTokenAuth({ keys: { jwks } })`
 * or to publish at a URL. Only the public half is exported. `kid` defaults to the libtrust key id
 * the token server puts in its tokens, and `alg` to the key's usual algorithm, so the two agree.
 */
export async function toJwks(signingKey: SigningKeyInput, options: { alg?: string; kid?: string } = {}): Promise<JSONWebKeySet> {
  const publicKey = toPublicKey(signingKey)
  const jwk = await exportJWK(publicKey)
  return {
    keys: [{ ...jwk, kid: options.kid ?? toLibtrustKeyId(publicKey), alg: options.alg ?? toDefaultAlgorithm(publicKey), use: 'sig' }],
  }
}
