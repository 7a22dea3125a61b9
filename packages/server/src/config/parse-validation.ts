import type { SparseManifests } from '@wharf/core'
import type { ConfigReader } from './config-reader.js'
import type { ValidationConfig } from './config-types.js'

const PLATFORMS = ['all', 'none', 'list'] as const

/**
 * Reads `validation.manifests.indexes` (registry:3's sparse-index setting): `platforms` is `all`,
 * `none` or `list` in any case (registry:3's own example writes `List`), `platformlist` a list of
 * `{ os, architecture }`, also as YAML in `REGISTRY_VALIDATION_MANIFESTS_INDEXES_PLATFORMLIST`.
 * Other `validation` keys (`urls`, `disabled`) are not read, so they are reported as unsupported.
 */
export function readValidation(r: ConfigReader): ValidationConfig {
  const base = 'validation.manifests.indexes'
  const platforms = r.choice(`${base}.platforms`, PLATFORMS) ?? 'all'
  const platformlist: ValidationConfig['manifests']['indexes']['platformlist'] = []
  if (platforms === 'list') {
    const count = r.listLength(`${base}.platformlist`)
    for (let i = 0; i < count; i++) {
      platformlist.push({
        os: r.requiredString(`${base}.platformlist.${i}.os`, 'an operating system, e.g. linux'),
        architecture: r.requiredString(`${base}.platformlist.${i}.architecture`, 'an architecture, e.g. amd64'),
      })
    }
  } else if (r.has(`${base}.platformlist`)) {
    // registry:3 ignores the list unless `platforms` is `list`; so does wharf, without a warning.
    r.accept(`${base}.platformlist`)
  }
  return { manifests: { indexes: { platforms, platformlist } } }
}

/** The core `sparseManifests` option for a `validation` section (`all` is core's strict default). */
export function toSparseManifests(validation: ValidationConfig): SparseManifests {
  const { platforms, platformlist } = validation.manifests.indexes
  if (platforms === 'all') return false
  return { platforms: platforms === 'none' ? 'none' : platformlist, blobs: false }
}
