/**
 * The leases requests of this realm hold right now, by lease owner id. A lease recorded in storage
 * as held by this realm but missing here belongs to no live request (its release failed, say), so a
 * new request may take it over at once. Shared through `globalThis` so that every copy of this module
 * in the realm sees the same leases, as {@link LeaseHolder.realm} assumes.
 */
export interface LocalLease {
  /** True once the request's body failed: it writes nothing more once `settled` resolves. */
  readonly dying: boolean
  /** Resolves once the request has stopped writing and released (or failed to release) the lease. */
  readonly settled: Promise<void>
}

interface Entry extends LocalLease {
  dying: boolean
  settle(): void
}

const KEY = Symbol.for('wharf.uploads.local-leases')

function leases(): Map<string, Entry> {
  const global = globalThis as { [KEY]?: Map<string, Entry> }
  global[KEY] ??= new Map()
  return global[KEY]
}

/** Registers a lease this realm is about to take; the handle marks it dying and removes it. */
export function registerLocalLease(owner: string): { markDying(): void; settle(): void } {
  let settle!: () => void
  const settled = new Promise<void>((resolve) => (settle = resolve))
  const entry: Entry = {
    dying: false,
    settled,
    settle: () => {
      leases().delete(owner)
      settle()
    },
  }
  leases().set(owner, entry)
  return {
    markDying: () => {
      entry.dying = true
    },
    settle: entry.settle,
  }
}

/** The live lease of this realm with `owner`, if a request still holds it. */
export function findLocalLease(owner: string): LocalLease | undefined {
  return leases().get(owner)
}
