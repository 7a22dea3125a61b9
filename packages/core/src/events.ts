import type { Identity } from './auth/auth-hooks.js'
import type { GarbageCollectionReport } from './gc/gc-types.js'

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

/**
 * A garbage collection that `registry.collectGarbage()` finished (dry runs included; a failed one
 * emits nothing). It has no repository, actor or request, so it is not a {@link RegistryEvent}.
 */
export interface GarbageCollectionEvent {
  action: 'gc'
  report: GarbageCollectionReport
  timestamp: Date
}

/** A tiny typed emitter: `on` returns a function that removes the listener. */
export interface RegistryEvents {
  on(action: RegistryEventAction | '*', listener: RegistryEventListener): () => void
  /** Finished garbage collections. Not sent to `'*'` listeners, which expect request events. */
  on(action: 'gc', listener: (event: GarbageCollectionEvent) => void): () => void
}

/** @internal the emitter plus its `emit`, kept inside core. */
export interface RegistryEventHub extends RegistryEvents {
  emit(event: RegistryEvent): void
  emitGarbageCollection(event: GarbageCollectionEvent): void
  /** Whether anyone listens to request events (`gc` listeners do not count: no request builds events for them). */
  hasListeners(): boolean
}

export function createEventHub(onError?: (error: unknown) => void): RegistryEventHub {
  type AnyListener = (event: RegistryEvent | GarbageCollectionEvent) => void
  const listeners = new Map<string, Set<AnyListener>>()
  let count = 0
  const call = (key: string, event: RegistryEvent | GarbageCollectionEvent) => {
    for (const listener of listeners.get(key) ?? []) {
      try {
        listener(event)
      } catch (error) {
        onError?.(error)
      }
    }
  }
  return {
    // `never`: each overload's listener fits; the key it is stored under decides what it receives.
    on(action: string, typed: (event: never) => void) {
      const listener = typed as AnyListener
      let set = listeners.get(action)
      if (!set) listeners.set(action, (set = new Set()))
      const counted = action !== 'gc'
      if (counted && !set.has(listener)) count++
      set.add(listener)
      return () => {
        if (set.delete(listener) && counted) count--
      }
    },
    emit(event) {
      call(event.action, event)
      call('*', event)
    },
    emitGarbageCollection: (event) => call('gc', event),
    hasListeners: () => count > 0,
  }
}
