import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeDriverSuite } from '@wharf/testing'
import { createFsDriver } from '@wharf/storage-fs'

let root: string | undefined

describeDriverSuite(
  'fs',
  async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-fs-conformance-'))
    return createFsDriver({ root })
  },
  {
    teardown: async () => {
      if (root) await rm(root, { recursive: true, force: true })
    },
  },
)
