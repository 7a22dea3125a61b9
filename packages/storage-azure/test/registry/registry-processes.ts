import { fileURLToPath } from 'node:url'
import { startChildRegistry, type ChildRegistry } from '@wharf/testing'
import { ensureBuilt as ensurePackagesBuilt } from '../../../../test-support/interop/workspace-build.js'

const SCRIPT = fileURLToPath(new URL('../fixtures/registry-process.mjs', import.meta.url))

/** Builds core, http-adapter and storage-azure (what the child script imports) when missing or stale. */
export function ensureBuilt(): Promise<void> {
  return ensurePackagesBuilt(['core', 'http-adapter', 'storage-azure'])
}

/** Where a registry process keeps its objects. */
export interface AzureRegistryConfig {
  endpoint: string
  accountName: string
  accountKey: string
  container: string
  prefix?: string
}

/** One registry process (test/fixtures/registry-process.mjs) on Azure Blob; its log tail is its stderr. */
export type AzureRegistryProcess = ChildRegistry

/**
 * Spawns a registry process on `config` and resolves once it listens (it prints its URL). Fails
 * after 20 s, or at once if the process exits first, with what it printed.
 */
export function startAzureRegistryProcess(config: AzureRegistryConfig): Promise<AzureRegistryProcess> {
  return startChildRegistry({ args: [SCRIPT], env: { WHARF_AZURE_REGISTRY: JSON.stringify(config), NODE_OPTIONS: '' } })
}
