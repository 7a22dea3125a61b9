import { defineProject } from 'vitest/config'
import { wharfAliases } from '../../vitest.shared.js'

// In this repository the aliases point @wharf/* at the TypeScript sources, so the example runs without
// a build. In your own project, drop them: the installed packages resolve as usual.
export default defineProject({
  resolve: { alias: wharfAliases },
  test: {
    name: 'in-process-tests',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
})
