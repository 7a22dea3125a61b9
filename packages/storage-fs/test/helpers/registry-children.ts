import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChildRegistry, type ChildRegistry } from '@wharf/testing'
import { build } from 'tsup'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const source = (pkg: string, file = 'index.ts') => here(`../../../${pkg}/src/${file}`)

/** A bundled registry script (test/fixtures/registry-child.ts with every @wharf package inlined). */
export interface RegistryBundle {
  script: string
  cleanup(): Promise<void>
}

/**
 * Bundles test/fixtures/registry-child.ts with the sources of core, http-adapter and this driver
 * inlined, so child processes run the code under test on plain Node. Inside the package (`.tmp/` is
 * git-ignored) so the bundle resolves the driver's npm dependencies from our node_modules.
 */
export async function bundleRegistryForChildren(): Promise<RegistryBundle> {
  await mkdir(here('../../.tmp'), { recursive: true })
  const dir = await mkdtemp(here('../../.tmp/registry-'))
  await build({
    config: false,
    entry: { 'registry-child': here('../fixtures/registry-child.ts') },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    silent: true,
    noExternal: [/^@wharf\//],
    external: ['fast-glob'],
    esbuildOptions(options) {
      options.alias = {
        '@wharf/core': source('core'),
        '@wharf/http-adapter': source('http-adapter'),
        '@wharf/storage-fs': source('storage-fs'),
      }
    },
  })
  return { script: join(dir, 'registry-child.js'), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Starts one registry process of `bundle` on the filesystem store at `root`. */
export function startFsRegistry(bundle: RegistryBundle, root: string): Promise<ChildRegistry> {
  return startChildRegistry({ args: [bundle.script], env: { WHARF_FS_ROOT: root, NODE_OPTIONS: '' } })
}
