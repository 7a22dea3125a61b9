/**
 * Runs `fn` on every item of a stream with at most `limit` calls in flight, pulling the next item
 * only when a slot frees up: memory holds `limit` items, never the stream. Rejects with the first
 * failure (after the calls in flight settle) or when `signal` aborts.
 */
export async function forEachLimited<T>(items: AsyncIterable<T>, limit: number, signal: AbortSignal | undefined, fn: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  for await (const item of items) {
    signal?.throwIfAborted()
    if (failure) break
    const task: Promise<void> = fn(item).then(
      () => void running.delete(task),
      (error: unknown) => {
        running.delete(task)
        failure ??= { error }
      },
    )
    running.add(task)
    if (running.size >= limit) await Promise.race(running)
  }
  await Promise.all(running)
  if (failure) throw failure.error
}
