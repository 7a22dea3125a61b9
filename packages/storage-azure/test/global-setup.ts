import type { TestProject } from 'vitest/node'
import { azuriteAccount, startAzurite } from './azurite.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Account URL of the Azure Blob endpoint the tests use. */
    azureEndpoint: string
    azureAccountName: string
    azureAccountKey: string
  }
}

/**
 * Starts Azurite for this package's tests, unless WHARF_AZURE_ENDPOINT names a running endpoint
 * (its account defaults to Azurite's dev account; override with WHARF_AZURE_ACCOUNT_NAME and
 * WHARF_AZURE_ACCOUNT_KEY). Tests read the endpoint with `inject('azureEndpoint')`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide('azureAccountName', process.env['WHARF_AZURE_ACCOUNT_NAME'] ?? azuriteAccount.accountName)
  project.provide('azureAccountKey', process.env['WHARF_AZURE_ACCOUNT_KEY'] ?? azuriteAccount.accountKey)
  const external = process.env['WHARF_AZURE_ENDPOINT']
  if (external) {
    project.provide('azureEndpoint', external)
    return undefined
  }
  const azurite = await startAzurite()
  project.provide('azureEndpoint', azurite.endpoint)
  return () => azurite.stop()
}
