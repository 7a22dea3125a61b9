import type { MirrorEvent, MirrorEventListener, MirrorEvents, MirrorEventType } from './mirror-types.js'

/** @internal the mirror's emitter with its `emit`. */
export interface MirrorEventHub extends MirrorEvents {
  emit(event: Omit<MirrorEvent, 'timestamp'>): void
}

/** Listeners run synchronously after the decision; one that throws never fails a request. */
export function createMirrorEventHub(): MirrorEventHub {
  const listeners = new Map<string, Set<MirrorEventListener>>()
  const call = (key: string, event: MirrorEvent) => {
    for (const listener of listeners.get(key) ?? []) {
      try {
        listener(event)
      } catch {
        // A listener's failure is its own business (events are fire-and-forget, as the registry's).
      }
    }
  }
  return {
    on(type: MirrorEventType | '*', listener: MirrorEventListener) {
      let set = listeners.get(type)
      if (!set) listeners.set(type, (set = new Set()))
      set.add(listener)
      return () => void set.delete(listener)
    },
    emit(partial) {
      if (listeners.size === 0) return
      const event = { ...partial, timestamp: new Date() }
      call(event.type, event)
      call('*', event)
    },
  }
}
