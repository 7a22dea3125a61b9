import { fileURLToPath } from 'node:url'
import { startChildRegistry, type ChildRegistry } from '@wharf/testing'
import { ensureBuilt as ensurePackagesBuilt } from '../../../../../test-support/interop/workspace-build.js'

const SCRIPT = fileURLToPath(new URL('../../fixtures/registry-process.mjs', import.meta.url))

/** Builds what test/fixtures/registry-process.mjs imports from dist folders when it is missing or stale. */
export function ensureBuilt(): Promise<void> {
  return ensurePackagesBuilt(['core', 'http-adapter', 'storage-s3'])
}

/** Where a registry process keeps its objects (the WHARF_S3_REGISTRY of the child script). */
export interface S3RegistryConfig {
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  prefix?: string
}

/** One registry process (test/fixtures/registry-process.mjs) on S3; its log tail is its stderr. */
export type S3RegistryProcess = ChildRegistry

/**
 * Spawns a registry process on `config` and resolves once it listens (it prints its URL). Fails after
 * 20 s, or as soon as the process exits, with what it printed.
 */
export function startS3RegistryProcess(config: S3RegistryConfig): Promise<S3RegistryProcess> {
  return startChildRegistry({ args: [SCRIPT], env: { WHARF_S3_REGISTRY: JSON.stringify(config), NODE_OPTIONS: '' } })
}
