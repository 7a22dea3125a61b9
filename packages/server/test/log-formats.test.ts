import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'
import { pushBlob } from './helpers/registry-client.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Resolves with the first captured line (past or future) that `match` accepts. */
function nextLine(target: TestServer, match: (line: string) => boolean): Promise<string> {
  const found = target.logs.lines.find(match)
  if (found) return Promise.resolve(found)
  return new Promise((resolve) => {
    const write = target.logs.write.bind(target.logs)
    target.logs.write = (line: string) => {
      write(line)
      if (match(line)) resolve(line)
    }
  })
}

describe('log formats through the standalone server', () => {
  it('log.formatter text: one logfmt line per request, start line included, no JSON', async () => {
    server = await startFromYaml('log: { formatter: text, fields: { service: registry } }\nstorage: { inmemory: }\n')
    const response = await fetch(`${server.url}/v2/`, { headers: { 'User-Agent': 'docker/27.0 go/go1.22' } })
    expect(response.status).toBe(200)
    const id = response.headers.get('x-request-id')!
    const line = await nextLine(server, (l) => l.includes(`reqId=${id}`))
    expect(line).toMatch(/^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=info msg=request /)
    expect(line).toContain(' method=GET route=base path=/v2/ status=200 ')
    expect(line).toContain(' userAgent="docker/27.0 go/go1.22" ')
    expect(line).toContain(' service=registry')
    expect(line.endsWith('\n')).toBe(true)
    expect(line.trimEnd()).not.toContain('\n')
    const start = server.logs.lines.find((l) => l.includes('msg="wharf registry listening"'))
    expect(start).toMatch(/ url=http:\/\/127\.0\.0\.1:\d+ /)
    expect(server.logs.lines.every((l) => !l.startsWith('{'))).toBe(true)
  })

  it('log.formatter logstash: JSON lines with @timestamp, @version and message, as registry:2 writes them', async () => {
    server = await startFromYaml('log: { formatter: logstash }\nstorage: { inmemory: }\n')
    const response = await fetch(`${server.url}/v2/`)
    const id = response.headers.get('x-request-id')!
    const entry = JSON.parse(await nextLine(server, (l) => l.includes(id))) as Record<string, unknown>
    expect(entry).toMatchObject({ '@version': '1', level: 'info', message: 'request', reqId: id, status: 200 })
    expect(new Date(entry['@timestamp'] as string).toISOString()).toBe(entry['@timestamp'])
    expect(entry).not.toHaveProperty('msg')
    expect(entry).not.toHaveProperty('time')
  })

  it('a client gone in the middle of an upload or of a download is at most one warning line, without a stack', async () => {
    server = await startFromYaml('storage: { inmemory: }\n')
    const blob = new Uint8Array(8 * 1024 * 1024).fill(1)
    const digest = await pushBlob(server.url, 'app', blob)

    // Upload: the client promises 1 MiB, sends 64 KiB, and leaves.
    const start = await fetch(`${server.url}/v2/app/blobs/uploads/`, { method: 'POST' })
    const upload = new URL(start.headers.get('location')!, server.url)
    const patch = request(upload, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(1024 * 1024) } })
    patch.on('error', () => undefined)
    patch.write(new Uint8Array(64 * 1024))
    await new Promise<void>((resolve) => server!.running.server.once('request', () => setImmediate(resolve)))
    patch.destroy()
    await nextLine(server, (l) => l.includes('"msg":"request"') && l.includes('"method":"PATCH"'))

    // Download: the client reads the first bytes of 8 MiB, and leaves.
    await new Promise<void>((resolve) => {
      const get = request(`${server!.url}/v2/app/blobs/${digest}`, (res) => {
        res.once('data', () => {
          get.destroy()
          resolve()
        })
      })
      get.on('error', () => undefined)
      get.end()
    })
    await nextLine(server, (l) => l.includes('"msg":"request"') && l.includes('"method":"GET"') && l.includes('"route":"blob"'))
    const target = server
    await target.close()
    server = undefined

    const complaints = target.logs.entries().filter((e) => e['level'] === 'warn' || e['level'] === 'error' || e['level'] === 'fatal')
    expect(complaints.filter((e) => e['level'] !== 'warn')).toEqual([])
    expect(complaints.find((e) => e['method'] === 'PATCH')).toMatchObject({ msg: 'request failed: client gone', condition: 'client gone', reqId: expect.any(String) })
    for (const complaint of complaints) expect(JSON.stringify(complaint)).not.toMatch(/stack|\bat \S+ \(/)
    // One line at most for each of the two requests.
    expect(complaints.length).toBeLessThanOrEqual(2)
  })
})
