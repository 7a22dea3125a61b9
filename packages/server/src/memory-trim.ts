import type { Server } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Collect = (options?: { type: 'minor' }) => void

/** Quiet time after the last request before the one full collection that shrinks the heap. */
const IDLE_SETTLE_MS = 2000

const BODY_METHODS = new Set(['PUT', 'PATCH', 'POST'])

/** Delay between the full collection after a burst and the one that gives its freed pages back. */
const RELEASE_AFTER_MS = 300

/**
 * Request-body bytes received between two forced minor collections. Each socket read leaves a
 * 64 KiB buffer that only a collection frees, so this bounds what uploads hold beyond their working
 * set; counted in bytes, not time, so a slow upload costs next to no collections (measured during a
 * 512 MiB push: peak RSS 77 MB with one every 10 ms, 71 MB with one every 3 ms, no throughput change).
 */
const TRIM_BYTES = 2 * 1024 * 1024

/**
 * A response that sent this much owes a full collection once the server is quiet: a download holds
 * two 1 MiB buffers that only a collection frees, and an idle server collects nothing by itself
 * (three pulls left 6 MB of such buffers behind until the next burst, measured).
 */
const LARGE_RESPONSE_BYTES = 1024 * 1024

/** How often the bytes received by streaming bodies are looked at. */
const POLL_MS = 2

/** Requests since the last full collection that make a burst worth one (a trickle is not). */
const SETTLE_AFTER_REQUESTS = 1000

/**
 * Keeps the server's resident memory close to what it really holds while blobs stream through it.
 *
 * Node frees the buffer of every socket read only when V8 collects the small object wrapping it, and
 * V8 lets such off-heap memory grow by up to 64 MiB before it forces a collection: during a push or
 * a push that is all garbage, and it shows as +40 MB of RSS. While request bodies stream in, a minor
 * (young-generation) collection after every {@link TRIM_BYTES} they bring frees it; each takes a
 * fraction of a millisecond, since the young generation holds little else. After a burst of requests or an upload, once the
 * server has been quiet for {@link IDLE_SETTLE_MS}, one full collection returns the heap the burst
 * grew. Idle servers run no timer at all.
 *
 * Only for the standalone server (a library must not steer its host's garbage collector). Returns a
 * function that stops it. Does nothing when V8 refuses to expose its collector.
 */
export function startMemoryTrim(server: Server, trimBytes = TRIM_BYTES): () => void {
  keepYoungGenerationSmall()
  const collect = exposeCollector()
  if (!collect) return () => undefined
  let active = 0
  let served = 0
  /** Sockets of the requests whose bodies are streaming in, with their byte count at the last look. */
  const bodies = new Map<{ bytesRead: number }, number>()
  let sinceTrim = 0
  const poll = () => {
    for (const [socket, seen] of bodies) {
      sinceTrim += socket.bytesRead - seen
      bodies.set(socket, socket.bytesRead)
    }
    if (sinceTrim < trimBytes) return
    sinceTrim = 0
    collect({ type: 'minor' })
  }
  let timer: NodeJS.Timeout | undefined
  let settle: NodeJS.Timeout | undefined
  let release: NodeJS.Timeout | undefined
  /** An upload or a large download finished since the last full collection. */
  let owed = false
  const onRequest = (req: { method?: string; socket: { bytesRead: number; bytesWritten: number } }, res: NodeJS.EventEmitter) => {
    // Only request bodies still allocate a buffer per socket read (downloads reuse their buffers);
    // forced scavenges during a burst of small requests would promote their live objects to the
    // old generation, which then stays committed.
    const body = BODY_METHODS.has(req.method ?? '')
    active++
    served++
    const socket = req.socket
    const writtenBefore = socket.bytesWritten
    if (body) {
      bodies.set(socket, socket.bytesRead)
      timer ??= setInterval(poll, POLL_MS)
    }
    res.once('close', () => {
      active--
      if (body) bodies.delete(socket)
      if (body && bodies.size === 0 && timer) {
        clearInterval(timer)
        timer = undefined
      }
      // Once the server has been quiet for a while after a burst (or an upload or download), one full
      // collection gives back what it left: V8 keeps a grown heap committed otherwise, since an
      // idle process allocates nothing that would trigger a collection.
      if (body || socket.bytesWritten - writtenBefore >= LARGE_RESPONSE_BYTES) owed = true
      if (active === 0 && (served >= SETTLE_AFTER_REQUESTS || owed)) {
        if (settle) settle.refresh()
        else settle = setTimeout(settleAfterBurst, IDLE_SETTLE_MS).unref()
      }
    })
  }
  const settleAfterBurst = () => {
    settle = undefined
    if (active > 0) return
    served = 0
    owed = false
    // Without options: a full mark-compact (Node 20's V8 runs a scavenge for { type: 'major' }).
    collect()
    // The pages the first one emptied are swept concurrently and given back only by a later
    // collection: without this second one the heap stayed at 17-25 MB instead of 13 MB after a 10 s
    // burst at 32 connections (RSS 78-85 MB instead of 71-77 MB, measured).
    release = setTimeout(() => {
      release = undefined
      if (active === 0) collect()
    }, RELEASE_AFTER_MS).unref()
  }
  server.on('request', onRequest)
  return () => {
    server.off('request', onRequest)
    if (timer) clearInterval(timer)
    if (settle) clearTimeout(settle)
    if (release) clearTimeout(release)
  }
}

/**
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces). Under a burst of requests V8
 * grows it to 16 MiB semi-spaces and never shrinks it back while the process idles: +32 MB of RSS for
 * good after one load of 200 connections (measured: 61 MB idle, 109 MB a minute after the load; 74 MB
 * with this). Young objects of a registry request die young, so the smaller space costs scavenges
 * that find little alive; no change of request rate was measurable. The flag is read whenever V8
 * considers growing the space, so setting it at run time works.
 */
function keepYoungGenerationSmall(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1')
  } catch {
    // Not a V8 that knows the flag: nothing to do.
  }
}

function exposeCollector(): Collect | undefined {
  const existing = (globalThis as { gc?: Collect }).gc
  if (existing) return existing
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as Collect
  } catch {
    return undefined
  }
}
