import { isRepositoryName } from '../grammar/name.js'
import { toArray, type Registry2Files } from './registry2-files.js'
import { registry2Paths as paths } from './registry2-layout.js'

/** One step of the ordered walk: a directory that may be a repository, or the subtree below it. */
interface Entry {
  /** What the entry sorts by: `name` for the repository itself, `name/` for its nested repositories. */
  sortKey: string
  name: string
  subtree: boolean
}

const byteOrder = (a: Entry, b: Entry) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0)

/**
 * registry:2's repository names after `after`, in byte order (the order wharf's catalog pages in),
 * streamed. A directory is a repository when it holds `_manifests` or `_layers`; other
 * non-underscore subdirectories hold nested repositories (`a/b`).
 *
 * Directory order is not name order (`a-b` < `a/b` as names, but the directory `a` sorts before
 * `a-b`), so each directory's children become two entries — the repository `a` sorted as `a` and its
 * subtree sorted as `a/` — exactly as the fs driver orders files and directories. Subtrees that end
 * before `after` are skipped without being read, and whether a child is a repository is checked
 * only when the walk reaches it, so a catalog page costs the directories on its way, not the tree.
 * One directory's child names are held at once (registry:2's own catalog reads them whole too).
 */
export async function* walkRepositories(files: Registry2Files, after?: string): AsyncGenerator<string> {
  yield* walk(files, paths.repositoriesDir(), '', after)
}

async function* walk(files: Registry2Files, dir: string, base: string, after: string | undefined): AsyncGenerator<string> {
  const children = (await toArray(files.children(dir))).filter((c) => !c.startsWith('_') && isRepositoryName(base + c))
  const entries: Entry[] = []
  for (const child of children) {
    entries.push({ sortKey: base + child, name: base + child, subtree: false })
    entries.push({ sortKey: `${base + child}/`, name: base + child, subtree: true })
  }
  entries.sort(byteOrder)
  for (const entry of entries) {
    if (entry.subtree) {
      // Every name below starts with `name/`; all of them are <= `after` when `after` sorts past that prefix.
      if (after !== undefined && after > entry.sortKey && !after.startsWith(entry.sortKey)) continue
      yield* walk(files, `${dir}/${entry.name.slice(base.length)}`, entry.sortKey, after)
    } else {
      if (after !== undefined && entry.name <= after) continue
      if (await isRepository(files, `${dir}/${entry.name.slice(base.length)}`)) yield entry.name
    }
  }
}

async function isRepository(files: Registry2Files, dir: string): Promise<boolean> {
  for await (const child of files.children(dir)) if (child === '_manifests' || child === '_layers') return true
  return false
}
