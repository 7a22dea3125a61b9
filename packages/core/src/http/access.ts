import type { Access } from '../auth/auth-hooks.js'
import type { Route } from './router.js'

/** Methods that change the registry (refused in read-only mode). */
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The access a request needs, as registry:2 asks for it: reads need `pull`; uploads and manifest pushes
 * need `pull` and `push`; deletes need `delete`; the catalog needs `registry:catalog:*`; `/v2/` needs
 * only an identity.
 */
export function toAccess(route: Route, method: string): Access[] {
  const repo = (actions: Access['actions']): Access[] => [{ type: 'repository', name: (route as { name: string }).name, actions }]
  switch (route.kind) {
    case 'base':
      return []
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }]
    case 'upload':
      return repo(['pull', 'push'])
    case 'blob':
    case 'manifest':
      if (method === 'DELETE') return repo(['delete'])
      return method === 'PUT' ? repo(['pull', 'push']) : repo(['pull'])
    case 'tags':
    case 'referrers':
      return repo(['pull'])
  }
}
