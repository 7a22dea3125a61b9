/**
 * Plain node:http clients for the transfer tests: no connection pooling (every request gets its
 * own socket, closed afterwards, so descriptor counts are exact), bodies written with backpressure,
 * and controls `fetch` lacks: reading at a set rate and cutting the connection mid-body. Raw TCP
 * exchanges and `send` live in test-support/http-clients.ts (shared with the server's tests).
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { send, type RawResponse } from '../../../test-support/http-clients.js'

export { send, type RawResponse }

function open(url: string, method: string, headers: Record<string, string>) {
  return httpRequest(url, { method, headers: { Connection: 'close', ...headers }, agent: false })
}

/** A blob made of one random MiB repeated: big on the wire, cheap to generate and hash once. */
export function makeRepeatedBlob(mebibytes: number): { unit: Buffer; size: number; digest: string } {
  const unit = randomBytes(1024 * 1024)
  const hash = createHash('sha256')
  for (let i = 0; i < mebibytes; i++) hash.update(unit)
  return { unit, size: unit.length * mebibytes, digest: `sha256:${hash.digest('hex')}` }
}

/** Streams `count` copies of `unit` as the request body, waiting for `drain`; answers like {@link send}. */
export async function sendRepeated(url: string, method: string, headers: Record<string, string>, unit: Buffer, count: number): Promise<RawResponse> {
  const req = open(url, method, { 'Content-Length': String(unit.length * count), ...headers })
  const answer = once(req, 'response') as Promise<[IncomingMessage]>
  for (let i = 0; i < count; i++) {
    if (!req.write(unit)) await once(req, 'drain')
  }
  req.end()
  const [res] = await answer
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }
}

/**
 * Starts a body (declared as `declaredBytes`, or chunked when undefined), sends `sentBytes` of it,
 * then destroys the socket as a client that crashed or lost its network would.
 */
export async function sendThenDisconnect(
  url: string,
  method: string,
  headers: Record<string, string>,
  sentBytes: number,
  declaredBytes?: number,
  beforeDisconnect?: () => void,
): Promise<void> {
  const req = open(url, method, declaredBytes === undefined ? headers : { 'Content-Length': String(declaredBytes), ...headers })
  req.on('error', () => undefined)
  const chunk = randomBytes(64 * 1024)
  for (let sent = 0; sent < sentBytes; sent += chunk.length) {
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), sleep(2000)])
  }
  // Give the server time to start storing what arrived before the connection drops.
  await sleep(100)
  beforeDisconnect?.()
  req.destroy()
}

/** Reads a GET response body at most `bytesPerSecond`, hashing it; resolves with its size and digest. */
export async function readSlowly(url: string, bytesPerSecond: number): Promise<{ status: number; size: number; digest: string }> {
  const req = open(url, 'GET', {})
  const answer = once(req, 'response') as Promise<[IncomingMessage]>
  req.end()
  const [res] = await answer
  const hash = createHash('sha256')
  const started = performance.now()
  let size = 0
  for await (const part of res) {
    hash.update(part as Buffer)
    size += (part as Buffer).length
    const due = (size / bytesPerSecond) * 1000 - (performance.now() - started)
    if (due > 1) await sleep(due)
  }
  return { status: res.statusCode ?? 0, size, digest: `sha256:${hash.digest('hex')}` }
}

