import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt } from '../test-support/interop/workspace-build.js'
import { PACKAGES, run, WORKSPACE } from './support.js'

const bin = (name: string) => join(WORKSPACE, 'node_modules', '.bin', name)

beforeAll(() => ensureBuilt(PACKAGES))

// publint checks what would be published (files, exports, the fields npm reads); attw checks that
// TypeScript finds the types a runtime import finds, under node10, node16 (ESM and CJS) and bundler.
describe.each(PACKAGES)('@wharf/%s as published', (dir) => {
  const cwd = join(WORKSPACE, 'packages', dir)

  it('passes publint, warnings and suggestions included', async () => {
    const out = await run(bin('publint'), ['--strict', '--level', 'suggestion'], { cwd })
    expect(out).toContain('All good!')
  })

  // cjs-resolves-to-esm: the packages are ESM only, on purpose. `require()` of them works from Node
  // 20.19 / 22.12 on (require(esm)); a second, CommonJS build would let one process load core twice
  // (the dual-package hazard), the very thing the peer dependency on core is there to prevent.
  it('passes @arethetypeswrong/cli', async () => {
    const out = await run(bin('attw'), ['--pack', '.', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii'], { cwd })
    expect(out).toContain('No problems found')
  })
})
