import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A plain HTTP forwarder that records every request line it passes on (to count upstream fetches). */
export interface RecordingProxy {
  url: string
  host: string
  /** `METHOD /path?query` of every request, in arrival order. */
  requests: string[]
  /** The `Authorization` header of every request (`undefined` when none), same order. */
  authorizations: (string | undefined)[]
  close(): Promise<void>
}

/** Forwards everything to `target` (`http://host:port`), streaming both ways. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target)
  const requests: string[] = []
  const authorizations: (string | undefined)[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    authorizations.push(req.headers.authorization)
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
