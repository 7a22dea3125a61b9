/**
 * @wharf/auth: who may pull and push.
 * - `createHtpasswdAuth`: HTTP Basic against an htpasswd file of bcrypt hashes (registry:2 `auth.htpasswd`).
 * - `createTokenAuth`: Docker token-spec bearer tokens (registry:2 `auth.token`).
 * - `createTokenServer`: a token endpoint issuing those tokens; `toJwks` for its public keys.
 * - `createPolicy`: per-repository rules for both.
 */
export { createHtpasswdAuth, type HtpasswdAuth, type HtpasswdAuthOptions } from './htpasswd-auth.js'
export { parseHtpasswd, HtpasswdError, isHtpasswdError, type HtpasswdEntries, type HtpasswdWarning } from './htpasswd-file.js'
export type { PasswordVerifierOptions } from './password-verifier.js'
export { createTokenAuth, type TokenAuthOptions, type TokenIdentity } from './token-auth.js'
export type { TokenKeys } from './token-keys.js'
export type { AccessClaim } from './access-claim.js'
export { createTokenServer, type TokenServerOptions, type TokenServerAuthenticate, type TokenHandler } from './token-server.js'
export { toJwks } from './jwks.js'
export { toLibtrustKeyId } from './libtrust-key-id.js'
export type { SigningKeyInput, PublicKeyInput } from './signing-key.js'
export { createPolicy, createDefaultPolicy, CATALOG_RESOURCE, type Policy, type PolicyRule, type PolicyOptions } from './policy.js'
export { toRepositoryMatcher, type RepositoryMatcher } from './repository-glob.js'
export { toBasicCredentials, toBearerToken, type BasicCredentials } from './authorization-header.js'
export { toBasicChallenge, toBearerChallenge, toScopeList } from './challenge.js'
export { toScopeAccess, toRequestedAccess } from './scope.js'
