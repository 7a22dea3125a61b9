import { join } from 'node:path'
import { DriverError } from '@wharf/core'

/**
 * Appended to the file name of every stored object. An S3-style key space allows `a` and `a/b` to
 * be objects at once (the registry's `catalog/<repository>` does this for nested repositories), but
 * a directory entry cannot be both a file and a directory. `,` is outside the key alphabet, so
 * `a,` (the object `a`) never collides with `a` (the directory holding `a/b`). A comma has no
 * meaning to shells, URLs or backup-cleaning tools, unlike `~` or `#`.
 */
export const OBJECT_SUFFIX = ','

/** Longest key segment: `.lock-` + segment must still fit the usual 255-byte name limit. */
const MAX_SEGMENT = 240
const SEGMENT = /^[A-Za-z0-9_:@=+-][A-Za-z0-9._:@=+-]*$/
const PARTIAL_SEGMENT = /^(?:[A-Za-z0-9_:@=+-][A-Za-z0-9._:@=+-]*)?$/

/** True for a valid key segment: key alphabet, not starting with `.`, not over-long. */
export function isKeySegment(segment: string): boolean {
  return SEGMENT.test(segment) && segment.length <= MAX_SEGMENT
}

/**
 * Splits `key` into its segments, or throws `invalid` for anything that could escape the root or
 * collide with the driver's own dot-files: empty, absolute or trailing-slash keys, empty segments,
 * segments starting with `.` (which also rules out `.` and `..`), characters outside the key
 * alphabet, and over-long segments. The registry never builds such keys; this is defence in depth.
 */
export function toKeySegments(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0) throw new DriverError('invalid', 'empty key', { driver: 'fs' })
  const segments = key.split('/')
  for (const segment of segments) {
    if (!isKeySegment(segment)) {
      throw new DriverError('invalid', `invalid key ${JSON.stringify(key.slice(0, 300))}`, { driver: 'fs' })
    }
  }
  return segments
}

/** Absolute path of the file holding object `key` under `root` (which must be absolute). */
export function toObjectPath(root: string, key: string): string {
  return join(root, ...toKeySegments(key)) + OBJECT_SUFFIX
}

/** How many object paths {@link createObjectPaths} remembers: a few MiB at most. */
const REMEMBERED_PATHS = 4096

/**
 * {@link toObjectPath} for one root, remembering its latest answers. A registry stats the same few
 * keys (the tags and revisions being pulled) over and over, and validating and joining a key's
 * segments cost more than a map lookup and allocated a tenth of a manifest GET's garbage
 * (measured). Only valid keys are remembered (an invalid one throws every time); when full, the
 * oldest entry goes.
 */
export function createObjectPaths(root: string, max = REMEMBERED_PATHS): (key: string) => string {
  const known = new Map<string, string>()
  return (key) => {
    let path = known.get(key)
    if (path === undefined) {
      path = toObjectPath(root, key)
      if (known.size >= max) known.delete(known.keys().next().value as string)
      known.set(key, path)
    }
    return path
  }
}

/** A list prefix split at its last `/`: the directory to walk and the partial name to match there. */
export interface PrefixParts {
  /** Directory segments (may be empty: the root). */
  dir: string[]
  /** What names in that directory must start with (may be empty). */
  partial: string
}

/**
 * Splits a list/delete prefix such as `repositories/a/_manifests/tags/` or `catalog/lib` into the
 * directory that holds every matching key and the partial name left over. Throws `invalid` when
 * the prefix could not be the start of any valid key (so it could never match) or could escape.
 */
export function toPrefixParts(prefix: string): PrefixParts {
  if (typeof prefix !== 'string') throw new DriverError('invalid', 'prefix must be a string', { driver: 'fs' })
  const cut = prefix.lastIndexOf('/')
  const partial = prefix.slice(cut + 1)
  const dir = cut < 0 ? [] : toKeySegments(prefix.slice(0, cut))
  if (!PARTIAL_SEGMENT.test(partial) || partial.length > MAX_SEGMENT) {
    throw new DriverError('invalid', `invalid prefix ${JSON.stringify(prefix.slice(0, 300))}`, { driver: 'fs' })
  }
  return { dir, partial }
}
