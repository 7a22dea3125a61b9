import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { HeldToken } from './token-login.js'

/** One browser's session: its CSRF token and, after a login, the credentials the UI acts with. */
export interface Session {
  readonly id: string
  /** Sent back in `X-CSRF-Token` with every change; a page on another site cannot read it. */
  readonly csrf: string
  /** The `Authorization` header the UI's /v2 calls carry for this user; absent: anonymous. */
  authorization?: string
  /** The user name shown in the page. */
  user?: string
  /** With bearer-token auth: tokens fetched for this user, by scope (see viewer.ts). */
  tokens?: Map<string, HeldToken>
  expires: number
}

/** Sessions kept in this process's memory (a restart logs everyone out; see the README). */
export interface SessionStore {
  create(): Session
  /** A session that is not kept (for requests without one, so that they cannot push real sessions out). */
  transient(): Session
  /** The live session with this id, its idle time renewed; `undefined` when unknown or expired. */
  get(id: string | undefined): Session | undefined
  delete(id: string): void
}

const token = () => randomBytes(24).toString('base64url')

/** Sessions expire after `idleMs` unused; at most `max` are kept (the least recently used go first). */
export function createSessionStore(idleMs: number, max = 10_000): SessionStore {
  const sessions = new Map<string, Session>()
  return {
    create() {
      const session: Session = { id: token(), csrf: token(), expires: Date.now() + idleMs }
      if (sessions.size >= max) sessions.delete(sessions.keys().next().value as string)
      sessions.set(session.id, session)
      return session
    },
    transient: () => ({ id: token(), csrf: token(), expires: Date.now() + idleMs }),
    get(id) {
      if (id === undefined) return undefined
      const session = sessions.get(id)
      if (!session) return undefined
      sessions.delete(id)
      if (session.expires < Date.now()) return undefined
      session.expires = Date.now() + idleMs
      sessions.set(id, session)
      return session
    },
    delete(id) {
      sessions.delete(id)
    },
  }
}

/** Compares a sent CSRF token with the session's in constant time. */
export function isCsrfToken(session: Session, sent: string | null): boolean {
  if (sent === null) return false
  const a = Buffer.from(session.csrf)
  const b = Buffer.from(sent)
  return a.length === b.length && timingSafeEqual(a, b)
}
