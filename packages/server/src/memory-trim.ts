import type { Server } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Collect = (options: { type: 'minor' | 'major' }) => void

/**
 * Keeps the server's resident memory close to what it really holds while blobs stream through it.
 *
 * Node frees the buffer of every socket read only when V8 collects the small object wrapping it, and
 * V8 lets such off-heap memory grow by up to 64 MiB before it forces a collection: during a push or
 * a pull that is all garbage, and it shows as +40 MB of RSS. While requests are in flight, a minor
 * (young-generation) collection every `intervalMs` frees it; each takes a fraction of a millisecond,
 * since the young generation holds little else. Idle servers run no timer at all.
 *
 * Only for the standalone server (a library must not steer its host's garbage collector). Returns a
 * function that stops it. Does nothing when V8 refuses to expose its collector.
 */
export function startMemoryTrim(server: Server, intervalMs = 10): () => void {
  const collect = exposeCollector()
  if (!collect) return () => undefined
  let active = 0
  let timer: NodeJS.Timeout | undefined
  const onRequest = (_req: unknown, res: NodeJS.EventEmitter) => {
    active++
    timer ??= setInterval(() => collect({ type: 'minor' }), intervalMs)
    res.once('close', () => {
      active--
      if (active === 0 && timer) {
        clearInterval(timer)
        timer = undefined
      }
    })
  }
  server.on('request', onRequest)
  return () => {
    server.off('request', onRequest)
    if (timer) clearInterval(timer)
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
