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

/**
 * Longest path component of a repository name. Each component becomes one segment of a storage key
 * (`repositories/<a>/<b>/_layers/…`, `catalog/<a>/<b>`), and a filesystem limits a file name to
 * 255 bytes: the fs driver keeps segments to 240 so that its lock and temp names (`.lock-<segment>`,
 * `.break-<segment>,`) still fit. The limit is applied on every driver alike, so a name valid on one
 * store is valid on all, and a name that could not be stored is refused before anything is written.
 * Every other key segment the registry builds (digests, tags, upload ids) is at most 135 characters.
 */
export const MAX_NAME_COMPONENT_LENGTH = 240

/**
 * Why `value` is not a valid repository name (a short phrase for error details), or `undefined`
 * when it is one.
 */
export function toNameProblem(value: string): string | undefined {
  if (value.length === 0) return 'the name is empty'
  if (value.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`
  if (!NAME.test(value)) return 'the name does not match the OCI repository name grammar'
  if (value.split('/').some((component) => component.length > MAX_NAME_COMPONENT_LENGTH)) {
    return `a path component is longer than ${MAX_NAME_COMPONENT_LENGTH} characters`
  }
  return undefined
}

/** True when `value` is a valid repository name. */
export function isRepositoryName(value: string): boolean {
  return toNameProblem(value) === undefined
}

/** True when `value` is a valid tag. */
export function isTag(value: string): boolean {
  return TAG.test(value)
}
