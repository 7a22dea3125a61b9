import { defineConfig } from 'vitest/config'

// One vitest project per package or example (each has its own vitest.config.ts, so servers such as
// radosgw or Azurite are started only when that package's tests run).
export default defineConfig({
  test: {
    // vitest's default on 2 cores is one worker, which ran the whole suite file by file. Most files
    // wait on child processes, radosgw, Azurite or Chromium rather than on CPU, so three workers
    // finish sooner; the tests themselves must not care (they wait on events, never on time).
    maxWorkers: Number(process.env['WHARF_TEST_WORKERS'] ?? 3),
    projects: ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts', 'consumer-check/vitest.config.ts', 'container/vitest.config.ts'],
  },
})
