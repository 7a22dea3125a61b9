/**
 * A counting semaphore with a fair, bounded waiting line. `run(key, task)` starts the task when
 * fewer than `limit` are running; otherwise it waits in the line of its `key`, and lines are served
 * round-robin, one task per key in turn. A task is refused at once (`{ refused: true }`, without
 * running) when its key already has `maxWaitingPerKey` waiting or the whole line holds `maxWaiting`.
 *
 * Why: keyed by user name, a flood of guesses against one account fills only that account's short
 * line, so other users' logins still start within about one task's time, and the work done under
 * any flood is bounded by the limit, never by the number of callers.
 */
export interface ConcurrencyLimit {
  run<T>(key: string, task: () => Promise<T>): Promise<{ refused: false; value: T } | { refused: true }>
  /** Tasks running now. */
  readonly active: number
  /** Tasks waiting now. */
  readonly waiting: number
}

/** Creates a `ConcurrencyLimit` (see above). */
export function createConcurrencyLimit(limit: number, maxWaiting: number, maxWaitingPerKey = maxWaiting): ConcurrencyLimit {
  for (const [name, value, min] of [['limit', limit, 1], ['maxWaiting', maxWaiting, 0], ['maxWaitingPerKey', maxWaitingPerKey, 0]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`)
  }
  let active = 0
  let waiting = 0
  // Key → its waiting tasks; Map order is the round-robin order (a served key moves to the end).
  const lines = new Map<string, Array<() => void>>()

  const release = () => {
    const next = lines.entries().next().value
    if (!next) {
      active--
      return
    }
    const [key, line] = next
    const start = line.shift() as () => void
    lines.delete(key)
    if (line.length > 0) lines.set(key, line)
    waiting--
    // The slot passes to the next task without being freed, so nobody can jump the line.
    start()
  }

  return {
    get active() {
      return active
    },
    get waiting() {
      return waiting
    },
    async run(key, task) {
      if (active >= limit) {
        const line = lines.get(key) ?? []
        if (waiting >= maxWaiting || line.length >= maxWaitingPerKey) return { refused: true }
        waiting++
        if (!lines.has(key)) lines.set(key, line)
        await new Promise<void>((resolve) => line.push(resolve))
      } else {
        active++
      }
      try {
        return { refused: false, value: await task() }
      } finally {
        release()
      }
    },
  }
}
