import { toBasicCredentials, type BasicCredentials } from './authorization-header.js'

/**
 * Reading a token endpoint request: `GET ?service=&scope=&scope=` with optional Basic credentials
 * (what docker, skopeo and containerd without credentials send) or the OAuth2 password grant
 * `POST grant_type=password&username=&password=&service=&scope=` (what containerd sends when it
 * has credentials). Untrusted input: never throws.
 */
export type TokenRequest =
  | { kind: 'token'; form: 'get' | 'oauth'; service?: string; scopes: string[]; credentials?: BasicCredentials }
  | { kind: 'error'; form: 'get' | 'oauth'; status: number; code: string; message: string; challenge?: boolean }

/** Largest form body read; a password grant is a few hundred bytes. */
const MAX_FORM_BYTES = 64 * 1024

/** Parses a token request (see above). */
export async function toTokenRequest(request: Request): Promise<TokenRequest> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const url = new URL(request.url)
    const header = request.headers.get('authorization')
    const credentials = header ? toBasicCredentials(header) : undefined
    if (header && !credentials) return fail('get', 401, 'UNAUTHORIZED', 'malformed or non-Basic credentials', true)
    return {
      kind: 'token',
      form: 'get',
      service: url.searchParams.get('service') ?? undefined,
      scopes: url.searchParams.getAll('scope'),
      credentials,
    }
  }
  if (request.method !== 'POST') return fail('get', 405, 'UNSUPPORTED', 'use GET or POST')
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    return fail('oauth', 400, 'invalid_request', 'expected an application/x-www-form-urlencoded body')
  }
  const text = await readBoundedText(request, MAX_FORM_BYTES)
  if (text === undefined) return fail('oauth', 413, 'invalid_request', 'request body too large')
  const form = new URLSearchParams(text)
  const grant = form.get('grant_type')
  if (grant !== 'password') {
    // We issue no refresh tokens, so the refresh grant can never succeed.
    return fail('oauth', 400, 'unsupported_grant_type', 'only grant_type=password is supported')
  }
  const user = form.get('username')
  const password = form.get('password')
  if (!user || password === null) return fail('oauth', 400, 'invalid_request', 'username and password are required')
  return {
    kind: 'token',
    form: 'oauth',
    service: form.get('service') ?? undefined,
    scopes: form.getAll('scope'),
    credentials: { user, password: new TextEncoder().encode(password) },
  }
}

function fail(form: 'get' | 'oauth', status: number, code: string, message: string, challenge = false): TokenRequest {
  return { kind: 'error', form, status, code, message, challenge }
}

/** The body as UTF-8 text, or undefined once it exceeds `limit` bytes (reading stops there). */
async function readBoundedText(request: Request, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limit) return undefined
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > limit) {
        await reader.cancel().catch(() => {})
        return undefined
      }
      chunks.push(value)
    }
  } catch {
    return ''
  }
  return Buffer.concat(chunks).toString('utf8')
}
