import type { ImmutableTagRule, QuotaRule, RetentionRule } from '@wharf/core'
import { isRepositoryGlob } from '@wharf/core'
import type { ConfigReader } from './config-reader.js'
import type { PoliciesConfig } from './config-types.js'

const UNITS: Record<string, number> = { b: 1, k: 2 ** 10, kb: 1e3, kib: 2 ** 10, m: 2 ** 20, mb: 1e6, mib: 2 ** 20, g: 2 ** 30, gb: 1e9, gib: 2 ** 30, t: 2 ** 40, tb: 1e12, tib: 2 ** 40 }
const SIZE = /^\s*(\d+)\s*([a-z]*)\s*$/i
const TAG_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/

/** Bytes from an integer or a size with a unit (`500MB`, `10GiB`, `2g`: k/m/g/t alone are binary). */
function toBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = SIZE.exec(value)
  const unit = match ? UNITS[(match[2] || 'b').toLowerCase()] : undefined
  const bytes = match && unit ? Number(match[1]) * unit : undefined
  return bytes !== undefined && Number.isSafeInteger(bytes) ? bytes : undefined
}

/**
 * Reads wharf's `policies` section (registry:2 has none): `quotas[].{repositories, maxbytes}` and
 * `immutabletags[].{repositories, tags}`, also from `REGISTRY_POLICIES_QUOTAS` (YAML) or
 * `REGISTRY_POLICIES_QUOTAS_0_MAXBYTES`. A rule that cannot be used stops the start: a quota or an
 * immutable tag silently not applied would be worse than no start.
 */
export function readPolicies(r: ConfigReader): PoliciesConfig {
  const quotas: QuotaRule[] = []
  for (let i = 0, count = r.listLength('policies.quotas'); i < count; i++) {
    const p = `policies.quotas.${i}`
    const repositories = r.requiredString(`${p}.repositories`, 'a repository glob such as team-a/**')
    if (!isRepositoryGlob(repositories)) r.fail(`${p}.repositories`, 'a repository glob such as team-a/**', repositories)
    const raw = r.raw(`${p}.maxbytes`)
    const maxBytes = toBytes(raw)
    if (maxBytes === undefined) r.fail(`${p}.maxbytes`, 'a size in bytes such as 1073741824, 500MB or 10GiB', raw)
    quotas.push({ repositories, maxBytes })
  }
  const immutableTags: ImmutableTagRule[] = []
  for (let i = 0, count = r.listLength('policies.immutabletags'); i < count; i++) {
    const p = `policies.immutabletags.${i}`
    const repositories = r.requiredString(`${p}.repositories`, 'a repository glob such as prod/**')
    if (!isRepositoryGlob(repositories)) r.fail(`${p}.repositories`, 'a repository glob such as prod/**', repositories)
    const tags = r.stringList(`${p}.tags`)
    if (!tags || tags.length === 0 || !tags.every((t) => TAG_PATTERN.test(t))) r.fail(`${p}.tags`, 'a list of tag patterns such as [v*]', tags)
    immutableTags.push({ repositories, tags })
  }
  return { quotas, immutabletags: immutableTags, ...readRetention(r) }
}

/**
 * `policies.retention[].{repositories, keeplast, keeptags, untaggedafter, keeppulledwithin}` (core's
 * `retention` rules; first match wins) and `policies.pullflushinterval` (how often recorded pulls are
 * written, default 1m). Also `REGISTRY_POLICIES_RETENTION` (YAML) or `REGISTRY_POLICIES_RETENTION_0_KEEPLAST`.
 * A rule without any key but `repositories` does nothing, so it is refused as a likely typo.
 */
function readRetention(r: ConfigReader): Pick<PoliciesConfig, 'retention' | 'pullflushinterval'> {
  const retention: RetentionRule[] = []
  for (let i = 0, count = r.listLength('policies.retention'); i < count; i++) {
    const p = `policies.retention.${i}`
    const repositories = r.requiredString(`${p}.repositories`, 'a repository glob such as ci/**')
    if (!isRepositoryGlob(repositories)) r.fail(`${p}.repositories`, 'a repository glob such as ci/**', repositories)
    const keepLast = r.integer(`${p}.keeplast`, { min: 0 })
    const keepTags = r.stringList(`${p}.keeptags`)
    if (keepTags && !keepTags.every((t) => TAG_PATTERN.test(t))) r.fail(`${p}.keeptags`, 'a list of tag patterns such as [v*, latest]', keepTags)
    const untaggedAfterMs = r.duration(`${p}.untaggedafter`)
    const keepPulledWithinMs = r.duration(`${p}.keeppulledwithin`, { min: 1 })
    const rule: RetentionRule = {
      repositories,
      ...(keepLast === undefined ? {} : { keepLast }),
      ...(keepTags === undefined ? {} : { keepTags }),
      ...(untaggedAfterMs === undefined ? {} : { untaggedAfterMs }),
      ...(keepPulledWithinMs === undefined ? {} : { keepPulledWithinMs }),
    }
    if (Object.keys(rule).length === 1) r.fail(p, 'at least one of keeplast, keeptags, untaggedafter, keeppulledwithin', r.peek(p))
    retention.push(rule)
  }
  return { retention, pullflushinterval: r.duration('policies.pullflushinterval', { min: 1000 }) ?? 60_000 }
}
