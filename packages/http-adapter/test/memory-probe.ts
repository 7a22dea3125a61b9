import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** This process's resident set size after a full garbage collection, in bytes. */
export function settledRss(): number {
  gc()
  gc()
  return process.memoryUsage().rss
}

/**
 * Runs `work` while sampling the resident set size every 20 ms; resolves with the work's result and
 * the peak growth over the settled RSS measured just before it started.
 */
export async function measureRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; baseline: number; peak: number; growth: number }> {
  const baseline = settledRss()
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  try {
    const result = await work()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { result, baseline, peak, growth: peak - baseline }
  } finally {
    clearInterval(timer)
  }
}

export const MiB = 1024 * 1024
