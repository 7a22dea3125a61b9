// Glob patterns over repository names, used by policy rules.
//
// The grammar is deliberately tiny so a rule reads the same to everyone:
// - `*`  matches any run of characters inside one path segment (never a `/`), so `team-a/*`
//        matches `team-a/app` but not `team-a/app/cache`, and `*` alone matches only top-level names;
// - `**` matches any run of characters including `/`, so `team-a/**` matches `team-a/app` and
//        `team-a/app/cache` (but not `team-a` itself), and `**` alone matches every repository;
//        as a whole segment in the middle or at the start it may also match no segment at all, so
//        `a/**/b` matches `a/b` and `a/x/y/b`, and `**/cache` matches `cache` and `x/cache`;
// - every other character matches itself. Patterns match the whole name.
//
// Brace sets, `?` and character classes are not supported on purpose: repository names are
// `[a-z0-9._/-]` only, and a rule language with fewer surprises is easier to audit.

/** True when the whole repository name matches the glob it was made from. */
export type RepositoryMatcher = (name: string) => boolean

/** True when `pattern` is a usable repository glob (non-empty, no whitespace, no `:`). */
export function isRepositoryGlob(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 1024 && !/[\s:"\\]/.test(pattern)
}

/** Compiles a repository glob (see the grammar above) into a matcher. Throws on an unusable pattern. */
export function toRepositoryMatcher(pattern: string): RepositoryMatcher {
  if (!isRepositoryGlob(pattern)) throw new TypeError(`invalid repository pattern ${JSON.stringify(pattern)}`)
  if (pattern === '**') return () => true
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string
    if (pattern.startsWith('/**/', i)) {
      source += '(?:/.*)?/'
      i += 3
    } else if (i === 0 && pattern.startsWith('**/')) {
      source += '(?:.*/)?'
      i += 2
    } else if (char === '*' && pattern[i + 1] === '*') {
      source += '.*'
      i++
    } else if (char === '*') {
      source += '[^/]*'
    } else {
      source += char.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')
    }
  }
  const regex = new RegExp(`^${source}$`)
  return (name) => regex.test(name)
}
