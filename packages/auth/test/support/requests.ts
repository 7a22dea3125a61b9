import type { Access } from '@wharf/core'

/** A request to the registry carrying `authorization` if given. */
export function toRequest(authorization?: string, path = '/v2/'): Request {
  const headers = new Headers()
  if (authorization !== undefined) headers.set('authorization', authorization)
  return new Request(`http://registry.test${path}`, { headers })
}

/** The `Authorization` value for Basic credentials. */
export function toBasic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

export const pull = (name: string): Access => ({ type: 'repository', name, actions: ['pull'] })
export const push = (name: string): Access => ({ type: 'repository', name, actions: ['pull', 'push'] })
export const catalog: Access = { type: 'registry', name: 'catalog', actions: ['*'] }
