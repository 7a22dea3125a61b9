import { createMemoryDriver, createRegistry } from '@wharf/core'
import { describeRegistrySuite } from '@wharf/testing'

describeRegistrySuite('in process, memory driver', async ({ deleteEnabled }) => {
  const registry = createRegistry({ storage: createMemoryDriver(), ...(deleteEnabled === undefined ? {} : { deleteEnabled }) })
  return {
    fetch: (path, init) => registry.fetch(new Request(`http://registry.test${path}`, init)),
    close: () => registry.close(),
  }
})
