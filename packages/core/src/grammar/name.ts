/**
 * Repository names and tags, by the grammars of the OCI Distribution Spec.
 *
 * name: `[a-z0-9]+((\.|_|__|[-]+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|[-]+)[a-z0-9]+)*)*`
 * tag:  `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
 *
 * Neither can express `..`, a leading `/`, or a path segment starting with `_` or `.`, so a
 * validated name or tag can be placed into a storage key safely.
 */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*'
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/

/** Longest repository name accepted (as distribution: 255 characters in all). */
export const MAX_NAME_LENGTH = 255

/** True when `value` is a valid repository name. */
export function isRepositoryName(value: string): boolean {
  return value.length > 0 && value.length <= MAX_NAME_LENGTH && NAME.test(value)
}

/** True when `value` is a valid tag. */
export function isTag(value: string): boolean {
  return TAG.test(value)
}
