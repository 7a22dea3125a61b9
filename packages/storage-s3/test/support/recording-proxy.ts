import { request as httpRequest, createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request that went through the proxy. */
export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

/**
 * A transparent HTTP proxy in front of the real S3 server, for tests that must see what the driver
 * sends (e.g. that it never asks for a server-side copy) or make the server look unwell (answer the
 * next requests with an error, as S3 does when it throttles). Requests are forwarded unchanged,
 * Host header included, so SigV4 signatures still verify.
 */
export async function startRecordingProxy(target: string) {
  const upstream = new URL(target)
  const requests: RecordedRequest[] = []
  let failures: { status: number; code: string }[] = []

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const failure = failures.shift()
    if (failure) {
      req.resume()
      res.writeHead(failure.status, { 'content-type': 'application/xml' })
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${failure.code}</Code><Message>injected</Message></Error>`)
      return
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    res.on('close', () => forward.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    /** Answers the next `count` requests with `status` and S3 error `code` instead of forwarding them. */
    failNext(count: number, status: number, code: string) {
      failures = Array.from({ length: count }, () => ({ status, code }))
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
