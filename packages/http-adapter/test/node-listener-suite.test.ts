import { createMemoryDriver, createRegistry } from '@wharf/core'
import { describeRegistrySuite } from '@wharf/testing'
import { startRegistry } from '@wharf/http-adapter'

describeRegistrySuite('node:http on a real port', async ({ deleteEnabled }) => {
  const registry = createRegistry({ storage: createMemoryDriver(), ...(deleteEnabled === undefined ? {} : { deleteEnabled }) })
  const server = await startRegistry(registry)
  return {
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    close: async () => {
      await server.close()
      await registry.close()
    },
  }
})
