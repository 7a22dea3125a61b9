import { RegistryError } from '../errors/registry-error.js'
import { toNameProblem } from '../grammar/name.js'

/** Throws NAME_INVALID (400) naming the rule `name` breaks (e.g. the component length limit), if any. */
export function assertRepositoryName(name: string): void {
  const problem = toNameProblem(name)
  if (problem === undefined) return
  throw new RegistryError('NAME_INVALID', { message: `invalid repository name: ${problem}`, detail: { name, reason: problem } })
}
