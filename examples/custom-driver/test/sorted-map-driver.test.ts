import { createRegistry } from '@wharf/core'
import { describeDriverSuite, describeRegistrySuite } from '@wharf/testing'
import { createSortedMapDriver } from '../sorted-map-driver.mjs'

// The same conformance suite wharf's own drivers (fs, S3, Azure) pass: if this is green, the registry
// can rely on the driver.
describeDriverSuite('sorted map driver (examples/custom-driver)', () => createSortedMapDriver(), {
  teardown: (driver) => driver.close?.(),
})

// And the registry's whole HTTP suite on top of it, in process through registry.fetch.
describeRegistrySuite('registry on the sorted map driver', async ({ deleteEnabled }) => {
  const registry = createRegistry({ storage: createSortedMapDriver(), ...(deleteEnabled === undefined ? {} : { deleteEnabled }) })
  return {
    fetch: (path, init) => registry.fetch(new Request(`http://registry.test${path}`, init)),
    close: () => registry.close(),
  }
})
