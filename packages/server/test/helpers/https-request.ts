import { request } from 'node:https'

/** Options of {@link httpsRequest}: what to trust and which client certificate to show. */
export interface HttpsRequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

/** One HTTPS request with node:https (fetch cannot be given a CA or a client certificate without undici). */
export function httpsRequest(url: string, options: HttpsRequestOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}
