import { startChildRegistry, type ChildRegistry } from '@wharf/testing'

export { ensureBuilt, ensureServerBuilt } from '../../../../../test-support/interop/workspace-build.js'

/** One `node packages/server/dist/cli.js` process. */
export type RegistryProcess = ChildRegistry

/**
 * Spawns the standalone server on an ephemeral loopback port with its filesystem storage at `root`,
 * and resolves once it has logged "wharf registry listening" (whose `url` gives the port it got).
 */
export function startRegistryProcess(cli: string, root: string): Promise<RegistryProcess> {
  return startChildRegistry({
    args: [cli],
    env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, REGISTRY_LOG_LEVEL: 'info' },
  })
}
