/**
 * The manifest index: revisions, the tags that point at them and the referrers entries, changed
 * together so that racing pushes and deletes — in one process or in several sharing the storage —
 * never leave a state that no order of those requests explains.
 *
 * ## The rule
 *
 * 1. **Nothing is removed, only tombstoned.** Deleting a revision or a tag overwrites its object
 *    with a tombstone by compare-and-swap against the version the delete read. Objects are never
 *    removed by a request (the garbage collector removes old tombstones after a grace period). The
 *    driver contract has no conditional delete — radosgw, for one, ignores `If-Match` on DELETE — so
 *    an unconditional delete issued late would remove whatever a push wrote in the meantime.
 * 2. **Every write is new.** Each revision and tag write carries a random nonce, so it has an ETag
 *    no earlier write had (S3's ETag is the body's MD5 and would repeat otherwise). A delete that
 *    read a version before a push rewrote it therefore fails its compare-and-swap.
 * 3. **A push checks its own revision last.** A push writes the revision, then its tags (always
 *    rewritten, even when they already point at the digest) and its referrers entry, then reads the
 *    revision's ETag: if it is still the one it wrote, the push is done. If a delete tombstoned it
 *    meanwhile, the push writes the revision again and repeats; if another push rewrote it, the
 *    push rewrites its tags and checks against that push's version.
 * 4. **A delete stops as soon as the revision lives again.** DELETE by digest tombstones the revision
 *    against the version it read (losing that race means a push came later: the delete is ordered
 *    before it and changes nothing more), then tombstones each tag pointing at the digest: it reads
 *    the tag, checks the revision is still *its* tombstone, and tombstones the tag against the
 *    version it read. The first time the revision is not its tombstone, it stops.
 * 5. **Readers hide what points at nothing.** A tag resolves, and is listed, only when it and its
 *    revision are live; a referrers entry is listed only when its revision is live.
 *
 * ## Why that is enough
 *
 * When a push is acknowledged, its revision has kept the ETag `e` it checked across the whole time
 * since it wrote its tags (ETags never repeat). A delete that tombstones the revision later read `e`,
 * so it comes after the push, and removes the push's tags too — the push then the delete. A delete
 * holding an older tombstone can remove a tag only through a version it read while the revision was
 * that tombstone, i.e. before the push's last revision write — and the push wrote its tags after
 * that. So an acknowledged push is whole unless a delete ordered after it removed it whole, and no
 * live tag is left pointing at a deleted revision except while a DELETE is in flight — or after a
 * process died in the middle of one; rule 5 hides those tags from every reader.
 *
 * ## Immutable tags (policies/immutable-tags.ts)
 *
 * A tag an immutable-tag rule covers is written by compare-and-swap instead of rule 3's blind write:
 * create-only when absent, else over the exact version read, and only while that version is a
 * tombstone, points at a deleted revision or already at this digest; otherwise the push is DENIED.
 * A compare-and-swap is a new write with a new nonce too, so rules 1–5 hold unchanged; and of two
 * pushes racing to create the tag with different digests, one write fails its condition and is
 * DENIED, never both succeed. Deleting such a tag, or by digest a revision such a tag points at, is
 * DENIED before anything is tombstoned; a push creating the tag while such a DELETE runs is ordered
 * after it by rule 4 (the DELETE happened while no immutable tag pointed at the revision).
 *
 * ## Content wharf has no object for (registry:2's tree)
 *
 * With a registry:2 tree under the same root (`registry2/`), the tag and revision stores report an
 * entry found only there with the ETag `NO_OBJECT_ETAG`, and a compare-and-swap against it is a
 * create-only write. Rules 1–5 then hold unchanged: deleting such an entry writes a wharf tombstone
 * that shadows it (registry:2's files are never touched), and a push that writes first makes the
 * delete's create-only tombstone fail, ordering the delete before the push. `adopt` (used by
 * `migrate`) writes only where wharf has no object, so it never revives what a delete tombstoned.
 *
 * Known limit: a tag left behind by a DELETE that died half-way (hidden by rule 5) comes back if the
 * same manifest is pushed again, as if that DELETE had not happened.
 */
import type { Digest } from '../grammar/digest.js'
import type { ManifestStore, StoredManifest } from './manifest-store.js'
import type { ReferrerDescriptor, ReferrersStore } from './referrers-store.js'
import type { TagStore } from './tag-store.js'
import { mapLimited } from './map-limited.js'
import { toDigest } from '../grammar/digest.js'
import { RegistryError } from '../errors/registry-error.js'
import { createImmutableTagPolicy, immutableTagDenied, setImmutableTag, type ImmutableTagPolicy } from '../policies/immutable-tags.js'

/** What a push stores besides the revision. */
export interface PushTargets {
  tags: readonly string[]
  /** The referrers entry, when the manifest has a `subject`. */
  referrer?: { subject: Digest; descriptor: ReferrerDescriptor }
}

/** Revisions, tags and referrers entries, changed by the rule above. */
export interface ManifestIndex {
  /** The digest of a live tag whose revision is live. */
  resolveTag(repository: string, tag: string): Promise<string | undefined>
  /**
   * As {@link resolveTag}, with the revision's manifest read by the same check: a GET by tag then
   * revalidates the revision once, not twice (each a stat on the fs driver).
   */
  resolveTagManifest(repository: string, tag: string): Promise<{ digest: Digest; manifest: StoredManifest } | undefined>
  /** Stores a revision with its tags and referrers entry; whole when it resolves. */
  push(repository: string, digest: Digest, manifest: StoredManifest, targets: PushTargets): Promise<void>
  /**
   * Records content found in registry:2's tree: the revision, then each tag and the referrers entry,
   * each only where wharf has no object yet (create-only, so a tombstone or a newer push wins). Tags
   * are adopted only while the revision is live. Returns how many objects it wrote (0 on a re-run).
   */
  adopt(repository: string, digest: Digest, manifest: StoredManifest, targets: PushTargets): Promise<number>
  /**
   * Deletes a revision and the tags pointing at it; the deleted manifest, or `undefined` when there
   * was none. With `ifMatch` (an ETag the caller read, e.g. retention), only that version is deleted:
   * a revision rewritten since (re-pushed, touched) is left alone and `undefined` is returned.
   */
  deleteManifest(repository: string, digest: Digest, ifMatch?: string): Promise<StoredManifest | undefined>
  /**
   * Deletes one tag; whether it existed (pointing at a live revision). With `ifMatch` (an ETag the
   * caller read), only that version is deleted: a tag pushed again since survives and `false` is returned.
   */
  deleteTag(repository: string, tag: string, ifMatch?: string): Promise<boolean>
  /** Visible tags after `last`, in lexical order, at most `limit`, and whether more may follow. */
  listTags(repository: string, limit: number, last?: string): Promise<{ tags: string[]; more: boolean }>
  /** Referrers of `subject` whose revisions are live. */
  listReferrers(repository: string, subject: Digest): Promise<ReferrerDescriptor[]>
}

/** Options of {@link createManifestIndex}. */
export interface ManifestIndexOptions {
  /** Tags that cannot be moved or deleted once they exist; default none. */
  immutableTags?: ImmutableTagPolicy
}

/** How many times a push follows concurrent changes of its revision before it gives up. */
const MAX_PUSH_ROUNDS = 64
/** How many storage calls one listing runs at once. */
const LISTING_CONCURRENCY = 32

export function createManifestIndex(manifests: ManifestStore, tags: TagStore, referrers: ReferrersStore, options: ManifestIndexOptions = {}): ManifestIndex {
  const policy = options.immutableTags ?? createImmutableTagPolicy()
  async function isLive(repository: string, digest: string | undefined): Promise<boolean> {
    const parsed = digest === undefined ? undefined : toDigest(digest)
    return parsed !== undefined && (await manifests.exists(repository, parsed))
  }

  async function resolveTag(repository: string, tag: string): Promise<string | undefined> {
    const state = await tags.read(repository, tag)
    return state?.digest !== undefined && (await isLive(repository, state.digest)) ? state.digest : undefined
  }

  async function resolveTagManifest(repository: string, tag: string): Promise<{ digest: Digest; manifest: StoredManifest } | undefined> {
    const state = await tags.read(repository, tag)
    const digest = state?.digest === undefined ? undefined : toDigest(state.digest)
    const manifest = digest && (await manifests.get(repository, digest))
    return digest && manifest ? { digest, manifest } : undefined
  }

  /** Rule 4, for one tag: tombstones it while it points at `digest` and the revision is still `tombstone`. */
  async function untagWhileDeleted(repository: string, tag: string, digest: Digest, tombstone: string): Promise<boolean> {
    for (;;) {
      const state = await tags.read(repository, tag)
      if (state?.digest !== digest.value) return true
      if ((await manifests.currentEtag(repository, digest)) !== tombstone) return false
      if (await tags.tombstone(repository, tag, state.etag)) return true
    }
  }

  /**
   * Touches the revisions that tags just left, so their modification time says when they were last
   * tagged: a collector keeps untagged manifests for a grace period counted from then, not from
   * their push (digest-pinned pulls of a manifest whose tag just moved keep working).
   */
  async function touchLeftBehind(repository: string, previous: readonly (string | undefined)[], now: string | undefined): Promise<void> {
    for (const digest of new Set(previous)) {
      const parsed = digest === undefined || digest === now ? undefined : toDigest(digest)
      if (parsed) await manifests.touch(repository, parsed)
    }
  }

  async function* storedTags(repository: string): AsyncGenerator<string> {
    let last: string | undefined
    for (;;) {
      const page = await tags.list(repository, 1000, last)
      yield* page.tags
      if (!page.more || page.tags.length === 0) return
      last = page.tags[page.tags.length - 1]
    }
  }

  /** Rule 3's tag write; for a tag an immutable rule covers, the compare-and-swap described above. */
  async function setTag(repository: string, tag: string, digest: string): Promise<void> {
    const rule = policy.ruleFor(repository, tag)
    if (rule) await setImmutableTag(tags, isLive, repository, tag, digest, rule)
    else await tags.set(repository, tag, digest)
  }

  /** Refuses a push that would move an immutable tag before it writes anything (setTag decides races). */
  async function assertMovable(repository: string, tagList: readonly string[], digest: string): Promise<void> {
    for (const tag of tagList) {
      const rule = policy.ruleFor(repository, tag)
      const current = rule && (await resolveTag(repository, tag))
      if (rule && current !== undefined && current !== digest) throw immutableTagDenied(repository, tag, rule, 'move', current)
    }
  }

  /** Refuses a DELETE by digest while an immutable tag points at the revision. */
  async function assertNotPinned(repository: string, digest: Digest): Promise<void> {
    if (!policy.covers(repository)) return
    for await (const tag of storedTags(repository)) {
      const rule = policy.ruleFor(repository, tag)
      if (rule && (await tags.read(repository, tag))?.digest === digest.value) throw immutableTagDenied(repository, tag, rule, 'delete-manifest', digest.value)
    }
  }

  return {
    resolveTag,
    resolveTagManifest,

    async push(repository, digest, manifest, targets) {
      const previous = await Promise.all(targets.tags.map(async (tag) => (await tags.read(repository, tag))?.digest))
      await assertMovable(repository, targets.tags, digest.value)
      let expected = await manifests.put(repository, digest, manifest)
      for (let round = 1; ; round++) {
        // Each round follows another writer's change of this revision; so many means something is wrong.
        if (round > MAX_PUSH_ROUNDS) throw new RegistryError('UNAVAILABLE', { message: 'the manifest kept changing while it was pushed; try again' })
        for (const tag of targets.tags) await setTag(repository, tag, digest.value)
        if (targets.referrer) await referrers.add(repository, targets.referrer.subject, digest, targets.referrer.descriptor)
        const now = await manifests.read(repository, digest)
        if (now?.etag === expected) return touchLeftBehind(repository, previous, digest.value)
        // Another push rewrote it: our tags again, checked against that version. Deleted: write it again.
        expected = now?.manifest ? now.etag : await manifests.put(repository, digest, manifest)
      }
    },

    async adopt(repository, digest, manifest, targets) {
      let written = (await manifests.create(repository, digest, manifest)) === undefined ? 0 : 1
      if (!(await manifests.exists(repository, digest))) return written
      for (const tag of targets.tags) if (await tags.create(repository, tag, digest.value)) written++
      if (targets.referrer && (await referrers.addOnce(repository, targets.referrer.subject, digest, targets.referrer.descriptor))) written++
      return written
    },

    async deleteManifest(repository, digest, ifMatch) {
      const state = await manifests.read(repository, digest)
      if (!state?.manifest || (ifMatch !== undefined && state.etag !== ifMatch)) return undefined
      await assertNotPinned(repository, digest)
      const tombstone = await manifests.tombstone(repository, digest, state.etag)
      // Lost the race to a push (or a delete): ordered before that write, this delete changes nothing more.
      if (tombstone === undefined) return state.manifest
      for await (const tag of storedTags(repository)) {
        if (!(await untagWhileDeleted(repository, tag, digest, tombstone))) break
      }
      return state.manifest
    },

    async deleteTag(repository, tag, ifMatch) {
      const state = await tags.read(repository, tag)
      if (state?.digest === undefined || (ifMatch !== undefined && state.etag !== ifMatch) || !(await isLive(repository, state.digest))) return false
      const rule = policy.ruleFor(repository, tag)
      if (rule) throw immutableTagDenied(repository, tag, rule, 'delete', state.digest)
      // Losing the compare-and-swap means a push re-set the tag after we read it: this delete came first.
      if (await tags.tombstone(repository, tag, state.etag)) await touchLeftBehind(repository, [state.digest], undefined)
      return true
    },

    async listTags(repository, limit, last) {
      const visible: string[] = []
      let cursor = last
      for (;;) {
        const page = await tags.list(repository, Math.max(limit, 100), cursor)
        const live = await mapLimited(page.tags, LISTING_CONCURRENCY, async (tag) => (await resolveTag(repository, tag)) !== undefined)
        for (let i = 0; i < page.tags.length; i++) {
          if (!live[i]) continue
          visible.push(page.tags[i]!)
          if (visible.length === limit) return { tags: visible, more: i < page.tags.length - 1 || page.more }
        }
        if (!page.more || page.tags.length === 0) return { tags: visible, more: false }
        cursor = page.tags[page.tags.length - 1]
      }
    },

    async listReferrers(repository, subject) {
      const all = await referrers.list(repository, subject)
      const live = await mapLimited(all, LISTING_CONCURRENCY, (d) => isLive(repository, d.digest))
      return all.filter((_, i) => live[i])
    },
  }
}
