import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url))

/**
 * Tests import the workspace packages by name; these aliases resolve them to their TypeScript
 * sources so `pnpm test` needs no build step and a change in core is seen at once everywhere.
 */
export const wharfAliases = [
  { find: /^@wharf\/testing\/registry$/, replacement: src('testing/src/registry/index.ts') },
  { find: /^@wharf\/testing$/, replacement: src('testing/src/index.ts') },
  { find: /^@wharf\/core$/, replacement: src('core/src/index.ts') },
  { find: /^@wharf\/storage-fs$/, replacement: src('storage-fs/src/index.ts') },
  { find: /^@wharf\/storage-s3$/, replacement: src('storage-s3/src/index.ts') },
  { find: /^@wharf\/storage-azure$/, replacement: src('storage-azure/src/index.ts') },
  { find: /^@wharf\/http-adapter\/(express|koa|fastify)$/, replacement: src('http-adapter/src/$1.ts') },
  { find: /^@wharf\/http-adapter$/, replacement: src('http-adapter/src/index.ts') },
  { find: /^@wharf\/auth$/, replacement: src('auth/src/index.ts') },
  { find: /^@wharf\/server$/, replacement: src('server/src/index.ts') },
  { find: /^@wharf\/ui$/, replacement: src('ui/src/index.ts') },
]
