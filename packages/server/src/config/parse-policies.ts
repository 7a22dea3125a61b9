import type { ImmutableTagRule, QuotaRule } from '@wharf/core'
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
  return { quotas, immutabletags: immutableTags }
}
