import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { createRegistry } from '@wharf/core'
import { createFsDriver } from '@wharf/storage-fs'
import { describeScaleOutSuite } from '@wharf/testing'
import { ensureServerBuilt, startRegistryProcess } from './helpers/registry-process.js'

// The standalone server (dist/cli.js) on the filesystem driver: the shared scenarios of the
// scale-out kit, with every process started on the same root directory.
let cli: string
let root: string

beforeAll(async () => {
  cli = await ensureServerBuilt()
  root = await mkdtemp(join(tmpdir(), 'wharf-two-processes-'))
}, 240_000)

// Runs after the suite's own afterAll, which stops the processes first.
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

describeScaleOutSuite('two registry processes sharing one filesystem root', () => startRegistryProcess(cli, root), {
  // The collector runs in this process, on the same root.
  collectGarbage: (options) => createRegistry({ storage: createFsDriver({ root }) }).collectGarbage(options),
})
