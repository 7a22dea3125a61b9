import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-kubernetes',
    include: ['*.test.ts'],
    testTimeout: 60_000,
  },
})
