/**
 * How old a link, blob record or manifest revision may be before a write that depends on it
 * rewrites it ("touches" it), so that its modification time and ETag say it is in use. A collector
 * removes only objects older than its grace period, which must exceed this interval plus the longest
 * request (see layout/garbage-collection.md); and its compare-and-swap fails on a touched object.
 */
export const TOUCH_INTERVAL_MS = 10 * 60_000

/** Whether an object last written at `modified` is young enough to need no touch. */
export function isFresh(modified: Date | undefined, now = Date.now()): boolean {
  return modified !== undefined && now - modified.getTime() < TOUCH_INTERVAL_MS
}
