import { defineProject } from 'vitest/config'

// The image as users run it: a private dockerd, `npm run image`'s build, and the real docker CLI.
// One file at a time: each starts containers and pushes through the same daemon on a 2-core machine.
export default defineProject({
  test: {
    name: 'container',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
})
