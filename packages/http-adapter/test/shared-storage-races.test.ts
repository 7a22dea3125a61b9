import { createMemoryDriver, createRegistry } from '@wharf/core'
import { describeScaleOutSuite } from '@wharf/testing'
import { startRegistry } from '@wharf/http-adapter'

// Two registry instances in one process on one in-memory driver, each on its own port: the scale-out
// kit's scenarios (races of deletes and writes among them) at in-process speed, with many rounds.
const storage = createMemoryDriver()

describeScaleOutSuite(
  'two in-process registries on one memory driver',
  async () => {
    const running = await startRegistry(createRegistry({ storage }))
    let closed: Promise<void> | undefined
    return {
      url: running.url,
      // "SIGKILL" in process: drop every connection at once, requests in flight included.
      stop: (signal?: NodeJS.Signals) => {
        if (signal === 'SIGKILL') running.server.closeAllConnections()
        return (closed ??= running.close())
      },
    }
  },
  {
    raceRounds: 60,
    collectGarbage: (options) => createRegistry({ storage }).collectGarbage(options),
    chunkedBlobSize: 256 * 1024 + 5, chunkSizes: [64 * 1024], streamedBlobSize: 512 * 1024 + 3, killedChunkSize: 64 * 1024,
  },
)
