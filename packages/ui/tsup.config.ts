import { defineConfig } from 'tsup'

export default defineConfig([
  // The handler, for Node.
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  // The front end: one JS file and one CSS file (imported by main.ts), minified, no dependencies.
  {
    entry: { app: 'src/app/main.ts' },
    outDir: 'dist/assets',
    format: ['iife'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    dts: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
  },
])
