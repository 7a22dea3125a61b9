import type { Identity } from './auth/auth-hooks.js'

/** What happened. `mount` is a blob made visible in a repository by cross-repository mount. */
export type RegistryEventAction = 'push' | 'pull' | 'mount' | 'delete'

/**
 * One registry event, emitted after the operation succeeded (a pushed manifest is stored, a pulled
 * blob's response has started). Events are fire-and-forget: a listener that throws or is slow never
 * fails or delays the request (listeners run after the response is decided; errors are swallowed).
 */
export interface RegistryEvent {
  action: RegistryEventAction
  repository: string
  target: {
    kind: 'blob' | 'manifest' | 'tag'
    digest?: string
    mediaType?: string
    size?: number
    tag?: string
    /** For mounts: the repository the blob came from. */
    from?: string
  }
  actor: Identity
  request: { method: string; url: string; userAgent?: string }
  timestamp: Date
}

export type RegistryEventListener = (event: RegistryEvent) => void

/** A tiny typed emitter: `on` returns a function that removes the listener. */
export interface RegistryEvents {
  on(action: RegistryEventAction | '*', listener: RegistryEventListener): () => void
}

/** @internal the emitter plus its `emit`, kept inside core. */
export interface RegistryEventHub extends RegistryEvents {
  emit(event: RegistryEvent): void
  hasListeners(): boolean
}

export function createEventHub(onError?: (error: unknown) => void): RegistryEventHub {
  const listeners = new Map<string, Set<RegistryEventListener>>()
  let count = 0
  return {
    on(action, listener) {
      let set = listeners.get(action)
      if (!set) listeners.set(action, (set = new Set()))
      if (!set.has(listener)) count++
      set.add(listener)
      return () => {
        if (set.delete(listener)) count--
      }
    },
    emit(event) {
      for (const key of [event.action, '*']) {
        for (const listener of listeners.get(key) ?? []) {
          try {
            listener(event)
          } catch (error) {
            onError?.(error)
          }
        }
      }
    },
    hasListeners: () => count > 0,
  }
}
