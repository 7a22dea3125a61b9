/**
 * Optional fast path a driver may attach to a stream it returns from `read`, under this symbol:
 * a function that reads the stream's bytes into a few buffers it allocates once and reuses, and
 * hands each chunk to `write`. The stream stays an ordinary ReadableStream for every other
 * consumer; an adapter that writes to a socket (the node:http one) checks for the pump and uses it
 * instead of reading the stream, so a multi-GiB download allocates no buffer per chunk.
 *
 * Why: a fresh 1 MiB buffer per chunk is a fresh mapping the kernel has to fault in and unmap,
 * and garbage the collector has to find; on a 2-core machine that halved the pull rate against a
 * server reusing its buffers (measured with curl, issue 16).
 */
export const CHUNK_PUMP: unique symbol = Symbol.for('wharf.chunkPump')

/**
 * Copies the stream's bytes to `write`, one chunk at a time. `write` must resolve only once the
 * chunk's bytes are no longer needed (for a socket: once the kernel took them), because the pump
 * then overwrites them; when it rejects, the pump stops and rejects with that error. The pump
 * resolves after the last chunk was written, and releases the stream's resources (the file) in
 * every case. Call it at most once, and never after reading from the stream.
 */
export type ChunkPump = (write: (chunk: Uint8Array) => Promise<void>) => Promise<void>

/** A stream with a {@link CHUNK_PUMP}, if `body` has one. */
export function toChunkPump(body: unknown): ChunkPump | undefined {
  const pump = (body as { [CHUNK_PUMP]?: unknown } | null)?.[CHUNK_PUMP]
  return typeof pump === 'function' ? (pump as ChunkPump) : undefined
}
