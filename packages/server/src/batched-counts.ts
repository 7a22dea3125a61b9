import type { Counter, Gauge, LabelValues } from 'prom-client'

/** Adds `delta` to the series `labels` of a metric; `key` must name `labels` uniquely. */
export type BatchedAdd<T extends string> = (key: string, labels: LabelValues<T>, delta: number) => void

type Summable = Counter<string> | Gauge<string>
const flushes = new WeakMap<Summable, () => void>()

/**
 * Adds to a counter or gauge from the request path without calling prom-client there: deltas are
 * summed per series in a plain map and handed to the metric when it is collected (every scrape,
 * `registry.metrics()`, `metric.get()`), so a scrape still sees everything that happened before
 * it, with the same series (one touched with a zero sum is created at 0, as `inc(0)` would).
 * prom-client validates and hashes the label object on every call; this costs a map lookup by
 * `key`. The metric must have been created with `collect` calling {@link flushBatched}.
 */
export function batchedCounts<T extends string>(metric: Counter<T> | Gauge<T>): BatchedAdd<T> {
  const pending = new Map<string, { labels: LabelValues<T>; delta: number }>()
  flushes.set(metric as Summable, () => {
    for (const { labels, delta } of pending.values()) metric.inc(labels, delta)
    pending.clear()
  })
  return (key, labels, delta) => {
    const entry = pending.get(key)
    if (entry) entry.delta += delta
    else pending.set(key, { labels, delta })
  }
}

/** The `collect` of a metric fed by {@link batchedCounts}: hands over what was summed so far. */
export function flushBatched(this: Summable): void {
  flushes.get(this)?.()
}
