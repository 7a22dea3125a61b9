/**
 * Clients for tests against a real port, shared by the http-adapter and server tests: {@link send}
 * (node:http, no connection pooling) and raw TCP exchanges ({@link openRaw}, {@link sendRaw}) for
 * requests that `fetch` and node:http would normalise or refuse to send: a Host header with a path,
 * an absolute-form target, huge or trickled headers, a body that stops half way.
 */
import { once } from 'node:events'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'

/** A response as read off the wire (Content-Length bodies only). */
export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Sends a request with an optional body on its own connection (closed afterwards) and collects the (small) answer. */
export async function send(url: string, method: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawResponse> {
  const req = httpRequest(url, { method, headers: { Connection: 'close', ...headers }, agent: false })
  const answer = once(req, 'response') as Promise<[IncomingMessage]>
  req.end(body)
  const [res] = await answer
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }
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
