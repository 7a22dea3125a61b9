/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the order of `items`.
 * Listings check many small objects; a bound keeps one request from queueing hundreds of storage
 * calls at once (an S3 client's socket pool is about 50).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
