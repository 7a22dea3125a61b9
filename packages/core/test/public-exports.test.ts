import * as core from '@wharf/core'
import { expect, it } from 'vitest'

// The public surface is a contract: a change here must be deliberate (update the snapshot in review).
it('exports exactly the documented public API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "CHUNK_PUMP",
      "DriverError",
      "ERROR_CODES",
      "MAX_NAME_COMPONENT_LENGTH",
      "MAX_NAME_LENGTH",
      "MEDIA_TYPES",
      "REGISTRY2_ROOT",
      "REQUEST_BODY",
      "RegistryError",
      "STALE_WARNING",
      "createAllowAllAuth",
      "createMemoryDriver",
      "createMirror",
      "createRegistry",
      "digestOf",
      "isDigest",
      "isDriverError",
      "isRegistryError",
      "isRepositoryGlob",
      "isRepositoryName",
      "isTag",
      "migrateRegistry2",
      "parseManifest",
      "registry2Paths",
      "storageKeys",
      "toAccess",
      "toBodyChunks",
      "toChunkPump",
      "toChunkRange",
      "toDigest",
      "toErrorBody",
      "toReadRange",
      "toRepositoryMatcher",
      "toRoute",
      "toScope",
      "toWebResponse",
      "traceStorage",
    ]
  `)
})
