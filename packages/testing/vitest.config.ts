import { defineProject } from 'vitest/config'
import { wharfAliases } from '../../vitest.shared.js'

export default defineProject({
  resolve: { alias: wharfAliases },
  test: {
    name: 'testing',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
