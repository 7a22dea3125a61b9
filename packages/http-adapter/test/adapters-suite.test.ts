import { createMemoryDriver, createRegistry } from '@wharf/core'
import { describeRegistrySuite } from '@wharf/testing'
import { FRAMEWORK_ADAPTERS } from './adapter-servers.js'

// The core's whole HTTP suite (blobs, chunked uploads, manifests, tags, errors) through every framework
// adapter on a real port, exactly as node-listener-suite.test.ts runs it through node:http.
for (const adapter of FRAMEWORK_ADAPTERS) {
  describeRegistrySuite(`${adapter.name} on a real port`, async ({ deleteEnabled }) => {
    const registry = createRegistry({ storage: createMemoryDriver(), ...(deleteEnabled === undefined ? {} : { deleteEnabled }) })
    const server = await adapter.start(registry)
    return {
      fetch: (path, init) => fetch(`${server.url}${path}`, init),
      close: async () => {
        await server.close()
        await registry.close()
      },
    }
  })
}
