import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { EnvelopeEvent } from '@wharf/server'

/** One POST the receiver got. */
export interface ReceivedEnvelope {
  headers: IncomingHttpHeaders
  events: EnvelopeEvent[]
}

/** A webhook endpoint on node:http that records envelopes; it can also hang or refuse. */
export interface WebhookReceiver {
  url: string
  port: number
  received: ReceivedEnvelope[]
  /** Requests whose body arrived, answered or not (a hanging receiver counts them too). */
  requests: number
  events(): EnvelopeEvent[]
  /** `ok` answers 200, `hang` never answers, `fail` answers 500. */
  mode: 'ok' | 'hang' | 'fail'
  close(): Promise<void>
}

/** Starts a receiver on `port` (0: any free port) of loopback. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedEnvelope[] = []
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received,
    requests: 0,
    events: () => received.flatMap((envelope) => envelope.events),
    mode: 'ok',
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      receiver.requests++
      if (receiver.mode === 'hang') return
      if (receiver.mode === 'fail') return void res.writeHead(500).end()
      received.push({ headers: req.headers, events: (JSON.parse(Buffer.concat(chunks).toString()) as { events: EnvelopeEvent[] }).events })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  receiver.port = (server.address() as AddressInfo).port
  receiver.url = `http://127.0.0.1:${receiver.port}/events`
  return receiver
}

/** A loopback port nothing listens on (taken from a server that is closed at once). */
export async function findFreePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}
