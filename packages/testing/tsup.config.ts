import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/registry/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The kit registers tests with the *user's* vitest: a bundled copy would be a second runner with no
  // test context ("Cannot read properties of undefined (reading 'config')"). Core is a peer for the
  // same reason: one copy, the user's.
  external: ['vitest', /^@wharf\//],
})
