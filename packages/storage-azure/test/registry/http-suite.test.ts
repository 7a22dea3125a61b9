import { createRegistry } from '@wharf/core'
import { describeRegistrySuite } from '@wharf/testing'
import { startRegistry } from '@wharf/http-adapter'
import { createAzureDriver } from '../../src/index.js'
import { freshContainer, keyOptions, sdkService } from '../connection.js'

// The registry's whole HTTP suite over a real port (node:http), every object in Azure Blob (Azurite).
describeRegistrySuite('node:http on a real port, storage on Azure Blob', async ({ deleteEnabled }) => {
  const container = freshContainer('http-suite')
  const registry = createRegistry({
    storage: createAzureDriver(keyOptions(container)),
    ...(deleteEnabled === undefined ? {} : { deleteEnabled }),
  })
  const server = await startRegistry(registry)
  return {
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    close: async () => {
      await server.close()
      await registry.close()
      await sdkService().getContainerClient(container).deleteIfExists()
    },
  }
})
