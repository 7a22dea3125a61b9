import { defineProject } from 'vitest/config'
import { wharfAliases } from '../../vitest.shared.js'

export default defineProject({
  resolve: { alias: wharfAliases },
  test: {
    name: 'ui',
    include: ['test/**/*.test.ts'],
    // The browser tests need the front end built (dist/assets); this builds it when sources are newer.
    globalSetup: ['test/helpers/build-assets.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
