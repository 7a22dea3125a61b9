import { defineConfig } from 'vitest/config'

// One vitest project per package or example (each has its own vitest.config.ts, so servers such as
// radosgw or Azurite are started only when that package's tests run).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts', 'consumer-check/vitest.config.ts', 'container/vitest.config.ts'],
  },
})
