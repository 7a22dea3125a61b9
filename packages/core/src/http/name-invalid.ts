import { RegistryError } from '../errors/registry-error.js'
import { toNameProblem } from '../grammar/name.js'

/** How many valid names {@link assertRepositoryName} remembers. */
const REMEMBERED_NAMES = 1024
const validNames = new Set<string>()

/** Throws NAME_INVALID (400) naming the rule `name` breaks (e.g. the component length limit), if any. */
export function assertRepositoryName(name: string): void {
  // Every request checks its name again, mostly one of a few being pulled: the grammar's regular
  // expression is not free, a set lookup nearly is. Only valid names are remembered.
  if (validNames.has(name)) return
  const problem = toNameProblem(name)
  if (problem === undefined) {
    if (validNames.size >= REMEMBERED_NAMES) validNames.delete(validNames.values().next().value as string)
    validNames.add(name)
    return
  }
  throw new RegistryError('NAME_INVALID', { message: `invalid repository name: ${problem}`, detail: { name, reason: problem } })
}
