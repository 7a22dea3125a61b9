import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import type { KeyObject } from 'node:crypto'
import { toAccessClaim, type AccessClaim } from './access-claim.js'
import { ASYMMETRIC_ALGORITHMS } from './signing-key.js'
import type { TrustedKeys } from './token-keys.js'

/** A token that passed every check. */
export interface VerifiedToken {
  payload: JWTPayload
  access: AccessClaim
}

/** What a token must satisfy besides a trusted signature. */
export interface TokenChecks {
  issuer: string
  /** The `aud` the token must carry (the registry's service name). */
  service: string
  clockToleranceSec: number
  algorithms?: readonly string[]
}

/**
 * Verifies a Docker registry bearer token: signature by a trusted key (chosen by `x5c` chain, by
 * `kid`, or tried in turn when the header names none; JWKS last), an allowed asymmetric algorithm,
 * `iss`, `aud` containing the service, `exp` present and not past, `nbf` not in the future (both
 * with the clock tolerance), and a well-formed `access` claim. Any failure → undefined; never throws.
 */
export async function verifyToken(token: string, keys: TrustedKeys, checks: TokenChecks): Promise<VerifiedToken | undefined> {
  const options: JWTVerifyOptions = {
    issuer: checks.issuer,
    audience: checks.service,
    clockTolerance: checks.clockToleranceSec,
    algorithms: [...(checks.algorithms ?? ASYMMETRIC_ALGORITHMS)],
    requiredClaims: ['exp'],
  }
  await keys.ready
  let header
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined
  }
  const candidates: KeyObject[] = []
  const chained = header.x5c ? keys.fromCertificateChain(header.x5c, new Date()) : undefined
  if (chained) candidates.push(chained)
  candidates.push(...keys.candidates({ kid: typeof header.kid === 'string' ? header.kid : undefined }))

  for (const key of candidates) {
    try {
      const { payload } = await jwtVerify(token, key, options)
      return toVerified(payload)
    } catch (error) {
      // A signature made by another key: try the next candidate. Anything else (expired, wrong
      // issuer or audience, bad algorithm) is final: the signature was good, the claims are not.
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSENotSupported) continue
      if (error instanceof TypeError) continue // key type does not fit the algorithm
      return undefined
    }
  }
  if (keys.jwks) {
    try {
      const { payload } = await jwtVerify(token, keys.jwks, options)
      return toVerified(payload)
    } catch {
      return undefined
    }
  }
  return undefined
}

function toVerified(payload: JWTPayload): VerifiedToken | undefined {
  const access = toAccessClaim(payload['access'])
  return access ? { payload, access } : undefined
}
