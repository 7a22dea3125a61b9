import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/express.ts', 'src/koa.ts', 'src/fastify.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
})
