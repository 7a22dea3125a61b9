import { defineProject } from 'vitest/config'
import { wharfAliases } from '../../vitest.shared.js'

export default defineProject({
  resolve: { alias: wharfAliases },
  test: {
    name: 'storage-azure',
    include: ['test/**/*.test.ts'],
    // Starts Azurite once for all test files (unless WHARF_AZURE_ENDPOINT is set).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
