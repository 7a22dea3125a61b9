import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request seen by the proxy, and how much of the answer went back to the driver. */
export interface Exchange {
  readonly method: string
  readonly url: URL
  /** The request's headers, as the driver sent them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** Response body bytes forwarded to the driver so far. */
  bytesSent: number
  /** True once the whole response was delivered; false if the driver hung up before. */
  completed: boolean
  /** Resolves when the exchange is over (delivered, or cut off by either side). */
  readonly closed: Promise<void>
}

export interface RecordingProxy {
  /** Account URL to give the driver instead of the real one. */
  readonly endpoint: string
  readonly exchanges: Exchange[]
  close(): Promise<void>
}

/**
 * A pass-through HTTP proxy in front of the real endpoint that records what the driver asks Azure
 * for and how much of each answer it actually consumed (Shared Key signatures do not cover the
 * host, so they still hold). Used to check query parameters, backpressure and cancellation.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target)
  const exchanges: Exchange[] = []
  const server = createServer((req, res) => {
    let settle = () => {}
    const exchange: Exchange = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', upstream),
      headers: req.headers,
      bytesSent: 0,
      completed: false,
      closed: new Promise<void>((resolve) => (settle = resolve)),
    }
    exchanges.push(exchange)
    res.on('finish', () => (exchange.completed = true))
    res.on('close', settle)
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.on('data', (chunk: Buffer) => (exchange.bytesSent += chunk.length))
        answer.pipe(res)
        res.on('close', () => answer.destroy())
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  // Keep the proxy's own buffering small so what it forwards reflects what the driver reads.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}${upstream.pathname}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
