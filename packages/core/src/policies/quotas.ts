import { RegistryError } from '../errors/registry-error.js'
import type { Digest } from '../grammar/digest.js'
import { toRepositoryMatcher } from '../grammar/repository-glob.js'
import type { BlobStore } from '../stores/blob-store.js'
import type { UsageStore } from '../stores/usage-store.js'

/**
 * A byte quota: each repository matching `repositories` may hold at most `maxBytes` of blobs,
 * counted as `registry.usage()` counts a repository (each linked blob once; manifests not counted).
 * When several rules match a repository, each applies.
 */
export interface QuotaRule {
  /** Repository glob (`team-a/**`, `*`; see grammar/repository-glob.ts). */
  repositories: string
  maxBytes: number
}

/**
 * Checks pushes against the quotas. A push is refused before its bytes are stored when its size is
 * known up front (a monolithic POST or PUT with `Content-Length`, a PATCH with `Content-Length` or
 * `Content-Range`, a mount of a blob whose size the source link holds), and otherwise when the
 * upload is committed (its bytes are then removed). Blobs already linked in the repository add
 * nothing. The check reads the usage record and the write comes later, so pushes running at the
 * same time may together overshoot a quota by at most the bytes they had in flight.
 */
export interface QuotaGuard {
  /** Whether any rule covers `repository`. */
  covers(repository: string): boolean
  /**
   * Throws DENIED (403) when `repository` holding `bytes` more would exceed a quota. With `digest`,
   * a blob already linked there is admitted (it adds nothing).
   */
  admit(repository: string, bytes: number, digest?: Digest): Promise<void>
}

/** Checks and compiles quota rules; throws a TypeError naming the first unusable one. */
export function createQuotaGuard(rules: readonly QuotaRule[], usage: UsageStore, blobs: BlobStore): QuotaGuard {
  const compiled = rules.map((rule) => {
    if (!Number.isSafeInteger(rule.maxBytes) || rule.maxBytes < 0) {
      throw new TypeError(`quota ${JSON.stringify(rule.repositories)}: maxBytes must be a non-negative integer, got ${rule.maxBytes}`)
    }
    return { rule, matches: toRepositoryMatcher(rule.repositories) }
  })
  const covering = (repository: string) => compiled.filter((c) => c.matches(repository))
  return {
    covers: (repository) => covering(repository).length > 0,
    async admit(repository, bytes, digest) {
      const rulesHere = covering(repository)
      if (rulesHere.length === 0) return
      if (digest && (await blobs.linked(repository, digest, { fresh: true }))) return
      const { bytes: used } = await usage.repository(repository)
      for (const { rule } of rulesHere) {
        if (used + bytes <= rule.maxBytes) continue
        // docker, podman and skopeo print the message after "denied: ".
        throw new RegistryError('DENIED', {
          message: `quota exceeded: ${repository} uses ${used} of ${rule.maxBytes} bytes allowed by quota ${rule.repositories}, and this blob needs ${bytes} more`,
          detail: { reason: 'quota exceeded', repository, quota: rule.repositories, limit: rule.maxBytes, usage: used, requested: bytes },
        })
      }
    },
  }
}
