import { defineProject } from 'vitest/config'

// No @wharf aliases here: these tests use the packed tarballs, as a user of the published packages would.
export default defineProject({
  test: {
    name: 'consumer',
    include: ['*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
})
