// The repository glob grammar lives in core (quota and immutable-tag rules use it too, and core
// must not import auth); policies here keep importing it from this file. See
// `@wharf/core`'s grammar/repository-glob.ts for the grammar.
export { isRepositoryGlob, toRepositoryMatcher, type RepositoryMatcher } from '@wharf/core'
