/** Options of `registry.applyRetention()`. */
export interface ApplyRetentionOptions {
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean
  signal?: AbortSignal
  /** The clock ages are measured with (epoch ms); default `Date.now`. */
  now?: () => number
}

/** A tag retention deleted (or, in a dry run, would delete), and why. */
export interface RetainedTagDecision {
  tag: string
  digest: string
  /** When the tag was last pushed (ISO 8601). */
  pushedAt: string
  /** Why no rule kept it, e.g. `not among the last 10 pushed; matches no keepTags pattern`. */
  reason: string
}

/** An untagged manifest retention deleted (or would delete), and why. */
export interface RetainedManifestDecision {
  digest: string
  /** When it was last tagged or pushed (ISO 8601): the revision's last write. */
  untaggedSince: string
  reason: string
}

/** What retention did in one repository. */
export interface RepositoryRetentionReport {
  repository: string
  /** The `repositories` glob of the rule applied. */
  rule: string
  tags: RetainedTagDecision[]
  manifests: RetainedManifestDecision[]
  /** Deletions skipped because the tag or manifest changed after it was read (a push won). */
  skipped: number
}

/** What `applyRetention()` deleted (or, in a dry run, would delete). */
export interface RetentionReport {
  dryRun: boolean
  /** Repositories a rule covers that were looked at. */
  repositoriesChecked: number
  /** Only repositories where something went (or would go). */
  repositories: RepositoryRetentionReport[]
  tagsDeleted: number
  manifestsDeleted: number
  durationMs: number
}
