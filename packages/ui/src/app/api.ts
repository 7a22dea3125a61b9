/** The session as the UI's API reports it. */
export interface SessionInfo {
  user: string | null
  authenticated: boolean
  loginRequired: boolean
  canLogout: boolean
  csrf: string
  deleteEnabled: boolean
  readOnly: boolean
}

/** An API error with the message the server chose for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const base = document.body.dataset['base'] ?? '/ui'
let csrf = ''

async function call<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}/api/${route}`, {
    method,
    credentials: 'same-origin',
    headers: method === 'POST' ? { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } : { Accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const data = (await response.json().catch(() => ({}))) as T & { error?: string }
  if (!response.ok) throw new ApiError(response.status, data.error ?? `error ${response.status}`)
  return data
}

export async function getSession(): Promise<SessionInfo> {
  const session = await call<SessionInfo>('GET', 'session')
  csrf = session.csrf
  return session
}

export const get = <T>(route: string, params: Record<string, string | undefined> = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]))
  return call<T>('GET', `${route}${query.size > 0 ? `?${query}` : ''}`)
}

export async function login(user: string, password: string): Promise<void> {
  const answer = await call<{ csrf: string }>('POST', 'login', { user, password })
  csrf = answer.csrf
}

export const logout = () => call('POST', 'logout', {})
export const deleteTag = (repository: string, tag: string) => call('POST', 'delete', { repository, tag })
export const deleteManifest = (repository: string, digest: string) => call('POST', 'delete', { repository, digest })
