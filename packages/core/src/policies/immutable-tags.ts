import { RegistryError } from '../errors/registry-error.js'
import { toRepositoryMatcher, type RepositoryMatcher } from '../grammar/repository-glob.js'
import type { TagStore } from '../stores/tag-store.js'

/**
 * Tags that, once they exist, keep pointing at the same manifest: they cannot be moved to another
 * digest or deleted, and the manifest they point at cannot be deleted by digest. Pushing the same
 * digest to the tag again is allowed (clients re-push whole images).
 */
export interface ImmutableTagRule {
  /** Repository glob (`prod/**`, `*`; see grammar/repository-glob.ts). */
  repositories: string
  /**
   * Tag patterns: `*` matches any run of characters, everything else itself (`v*`, `release-*`,
   * `1.0`). `latest` is matched only by a pattern that is exactly `latest`, so `*` keeps it mutable.
   */
  tags: readonly string[]
}

/** The rule that makes a tag immutable, as named in a DENIED detail. */
export interface MatchedImmutableRule {
  repositories: string
  tag: string
}

/** Immutable-tag rules compiled once; the manifest index asks them where it writes tags. */
export interface ImmutableTagPolicy {
  /** Whether any rule covers `repository` (so the index can skip every check when none does). */
  covers(repository: string): boolean
  /** The first rule making `tag` immutable in `repository`, or `undefined`. */
  ruleFor(repository: string, tag: string): MatchedImmutableRule | undefined
}

const TAG_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/

/** Compiles a tag pattern (`*` wildcard only). Throws on a pattern no tag could match. */
function toTagMatcher(pattern: string): (tag: string) => boolean {
  if (!TAG_PATTERN.test(pattern)) throw new TypeError(`invalid tag pattern ${JSON.stringify(pattern)}`)
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.-]/g, '\\$&')).join('.*')}$`)
  // `latest` is the tag every client moves by default: only naming it makes it immutable.
  return pattern === 'latest' ? (tag) => tag === 'latest' : (tag) => tag !== 'latest' && regex.test(tag)
}

/** Checks and compiles rules; throws a TypeError naming the first unusable one. */
export function createImmutableTagPolicy(rules: readonly ImmutableTagRule[] = []): ImmutableTagPolicy {
  const compiled: Array<{ rule: ImmutableTagRule; repository: RepositoryMatcher; tags: Array<{ pattern: string; test: (tag: string) => boolean }> }> =
    rules.map((rule) => ({
      rule,
      repository: toRepositoryMatcher(rule.repositories),
      tags: rule.tags.map((pattern) => ({ pattern, test: toTagMatcher(pattern) })),
    }))
  return {
    covers: (repository) => compiled.some((c) => c.repository(repository)),
    ruleFor(repository, tag) {
      for (const c of compiled) {
        if (!c.repository(repository)) continue
        const hit = c.tags.find((t) => t.test(tag))
        if (hit) return { repositories: c.rule.repositories, tag: hit.pattern }
      }
      return undefined
    },
  }
}

/** The DENIED answer for an attempt to change an immutable tag. */
export function immutableTagDenied(
  repository: string,
  tag: string,
  rule: MatchedImmutableRule,
  what: 'move' | 'delete' | 'delete-manifest',
  current: string,
): RegistryError {
  const verb = what === 'move' ? 'cannot be moved' : what === 'delete' ? 'cannot be deleted' : 'points at this manifest, which cannot be deleted'
  return new RegistryError('DENIED', {
    message: `tag ${tag} of ${repository} is immutable (rule ${rule.repositories}: ${rule.tag}) and ${verb}`,
    detail: { reason: 'immutable tag', repository, tag, digest: current, rule },
  })
}

/**
 * Points an immutable tag at `digest` by compare-and-swap, never by a blind write: created
 * create-only when absent, replaced only over the exact version read when that version is a
 * tombstone, points at a deleted revision (`isLive` false) or already at `digest`. Two pushes of
 * different digests racing to create the tag therefore cannot both succeed: the loser's write fails
 * its condition, it reads the winner's tag and is answered DENIED.
 */
export async function setImmutableTag(
  tags: TagStore,
  isLive: (repository: string, digest: string) => Promise<boolean>,
  repository: string,
  tag: string,
  digest: string,
  rule: MatchedImmutableRule,
): Promise<void> {
  for (;;) {
    const state = await tags.read(repository, tag)
    if (!state) {
      if (await tags.create(repository, tag, digest)) return
      continue
    }
    if (state.digest !== undefined && state.digest !== digest && (await isLive(repository, state.digest))) {
      throw immutableTagDenied(repository, tag, rule, 'move', state.digest)
    }
    if ((await tags.replace(repository, tag, digest, state.etag)) !== undefined) return
  }
}
