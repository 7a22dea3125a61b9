/**
 * Plain node:http clients for the transfer tests: no connection pooling (every request gets its
 * own socket, closed afterwards, so descriptor counts are exact), bodies written with backpressure,
 * and controls `fetch` lacks: reading at a set rate and cutting the connection mid-body. Plus raw
 * TCP exchanges ({@link openRaw}, {@link sendRaw}) for requests that `fetch` and node:http would
 * normalise or refuse to send: a Host with a path, an absolute-form target, huge or trickled headers.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

function open(url: string, method: string, headers: Record<string, string>) {
  return httpRequest(url, { method, headers: { Connection: 'close', ...headers }, agent: false })
}

/** Sends a request with an optional body and collects the (small) answer. */
export async function send(url: string, method: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawResponse> {
  const req = open(url, method, headers)
  const answer = once(req, 'response') as Promise<[IncomingMessage]>
  req.end(body)
  const [res] = await answer
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }
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

/** A raw TCP connection to a server: write any bytes, read the first response. */
export interface RawConnection {
  socket: Socket
  /** The first response on the connection; rejects when it closes before a complete one arrived. */
  response: Promise<RawResponse>
  /** Resolves when the connection has closed, however it closed. */
  closed: Promise<void>
}

/** Parses the first complete response in `data` (Content-Length bodies only), or `undefined`. */
function parseRawResponse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const headers: IncomingHttpHeaders = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? 0)
  if (data.length < end + 4 + length) return undefined
  return { status: Number(statusLine!.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) }
}

/** Opens a TCP connection to the server at `url` (only its host and port are used). */
export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  let data = Buffer.alloc(0)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const response = new Promise<RawResponse>((resolve, reject) => {
    let failure: Error | undefined
    socket.on('data', (part: Buffer) => {
      data = Buffer.concat([data, part])
      const parsed = parseRawResponse(data)
      if (parsed) resolve(parsed)
    })
    // A write after the server answered and closed may fail; the answer is what counts.
    socket.on('error', (error) => (failure = error))
    socket.once('close', () => reject(failure ?? new Error(`the connection closed without a complete answer (${data.length} bytes received)`)))
  })
  response.catch(() => undefined)
  return { socket, response, closed }
}

/** Sends `request` (a whole HTTP/1.1 request, as bytes on the wire) and reads the response. */
export async function sendRaw(url: string, request: string | Buffer): Promise<RawResponse> {
  const connection = await openRaw(url)
  connection.socket.write(request)
  try {
    return await connection.response
  } finally {
    connection.socket.destroy()
  }
}
