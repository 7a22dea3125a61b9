/**
 * A counting semaphore with a bounded waiting line. `run` starts the task when fewer than `limit`
 * are running, queues it otherwise, and refuses it at once (returns `{ refused: true }`) when the
 * line is already full: under a flood the cost is bounded by the limit and the line, never by the
 * number of callers.
 */
export interface ConcurrencyLimit {
  run<T>(task: () => Promise<T>): Promise<{ refused: false; value: T } | { refused: true }>
  /** Tasks running now. */
  readonly active: number
  /** Tasks waiting now. */
  readonly waiting: number
}

/** Creates a `ConcurrencyLimit` running at most `limit` tasks with at most `maxWaiting` queued. */
export function createConcurrencyLimit(limit: number, maxWaiting: number): ConcurrencyLimit {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency limit must be an integer >= 1')
  if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('queue length must be an integer >= 0')
  let active = 0
  const line: Array<() => void> = []

  const release = () => {
    const next = line.shift()
    if (next) next()
    else active--
  }

  return {
    get active() {
      return active
    },
    get waiting() {
      return line.length
    },
    async run(task) {
      if (active >= limit) {
        if (line.length >= maxWaiting) return { refused: true }
        // The slot is handed over by `release` without decrementing, so nobody can jump the line.
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
