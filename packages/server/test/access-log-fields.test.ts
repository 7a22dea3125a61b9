import { connect } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { relative } from 'node:path'
import { DriverError, type StorageDriver } from '@wharf/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHtpasswdLine } from './helpers/certificates.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage, sha256 } from './helpers/registry-client.js'

type Entry = Record<string, unknown>

/** A log destination whose `next(match)` resolves with the first line (past or future) that matches. */
function watchedLogs() {
  const entries: Entry[] = []
  const waiters: Array<{ match: (e: Entry) => boolean; resolve: (e: Entry) => void }> = []
  return {
    entries,
    write(line: string) {
      const entry = JSON.parse(line) as Entry
      entries.push(entry)
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(entry)) waiter.resolve(entry)
        else waiters.push(waiter)
      }
    },
    next(match: (e: Entry) => boolean): Promise<Entry> {
      const found = entries.find(match)
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }))
    },
  }
}

let dir: { path: string; remove(): Promise<void> }
let htpasswd: string
let server: TestServer | undefined
beforeAll(async () => {
  dir = await createTempDir()
  htpasswd = join(dir.path, 'htpasswd')
  await writeFile(htpasswd, `${await createHtpasswdLine('alice', 'wonderland')}\n`)
})
afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(() => dir.remove())

/** A driver that fails every call on a key naming `broken` (unavailable) or `boom` (an unexpected error). */
function failing(driver: StorageDriver): StorageDriver {
  return new Proxy(driver, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const key = typeof args[0] === 'string' ? args[0] : ''
        if (key.includes('broken')) throw new DriverError('unavailable', 'connect ECONNREFUSED 127.0.0.1:9000')
        if (key.includes('boom')) throw new Error('boom: a bug')
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

async function start(yaml: string, env: Record<string, string> = {}) {
  const logs = watchedLogs()
  server = await startFromYaml(yaml, { env, override: (options) => ({ ...options, storage: failing(options.storage), logDestination: logs }) })
  return { url: server.url, logs, line: (reqId: string | null) => logs.next((e) => e['msg'] === 'request' && e['reqId'] === reqId) }
}

const AUTH = { Authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` }

describe('access log fields', () => {
  it('a push line names the user, user agent, reference, digest and tag stored; the request id is echoed', async () => {
    const { url, line, logs } = await start(`storage: { inmemory: }\nauth:\n  htpasswd: { realm: r, path: ${htpasswd} }\n`)
    const image = await pushImage(url, 'team/app', 'v1', undefined, { ...AUTH, 'User-Agent': 'pusher/2.0' })
    const put = await fetch(`${url}/v2/team/app/manifests/v2`, { method: 'PUT', headers: { ...AUTH, 'Content-Type': OCI_MANIFEST, 'User-Agent': 'pusher/2.0' }, body: image.manifest })
    expect(put.status).toBe(201)
    const reqId = put.headers.get('x-request-id')
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/)
    expect(await line(reqId)).toMatchObject({
      method: 'PUT', route: 'manifest', repository: 'team/app', reference: 'v2', status: 201,
      user: 'alice', userAgent: 'pusher/2.0', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      digests: [image.manifestDigest], tags: ['v2'], answered: true, completed: true,
    })
    const blobPut = logs.entries.find((e) => e['msg'] === 'request' && e['route'] === 'upload' && e['method'] === 'PUT')!
    expect(blobPut['digests']).toHaveLength(1)
    expect(blobPut).not.toHaveProperty('errorCode')

    const startLine = logs.entries.find((e) => e['msg'] === 'wharf registry listening')!
    expect(startLine).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), url, uiUrl: `${url}/ui/`, auth: 'htpasswd', storage: 'inmemory' })
  })

  it('4xx lines carry the OCI error code; an anonymous caller has no user', async () => {
    const { url, line } = await start(`storage: { inmemory: }\nauth:\n  htpasswd: { realm: r, path: ${htpasswd} }\n`)
    const anonymous = await fetch(`${url}/v2/team/app/tags/list`)
    expect(anonymous.status).toBe(401)
    const denied = await line(anonymous.headers.get('x-request-id'))
    expect(denied).toMatchObject({ status: 401, errorCode: 'UNAUTHORIZED', route: 'tags' })
    expect(denied).not.toHaveProperty('user')

    const digest = sha256('nothing')
    const missing = await fetch(`${url}/v2/team/app/blobs/${digest}`, { headers: AUTH })
    expect(missing.status).toBe(404)
    expect(await line(missing.headers.get('x-request-id'))).toMatchObject({ status: 404, errorCode: 'BLOB_UNKNOWN', reference: digest, user: 'alice' })
  })

  it('X-Forwarded-For and X-Request-Id are taken from trusted proxies only', async () => {
    const headers = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9', 'X-Request-Id': 'proxy-req-1' }
    const trusted = await start('storage: { inmemory: }\nhttp:\n  trustedproxies: [127.0.0.0/8, "::1"]\n')
    const viaProxy = await fetch(`${trusted.url}/v2/`, { headers })
    expect(viaProxy.headers.get('x-request-id')).toBe('proxy-req-1')
    expect(await trusted.line('proxy-req-1')).toMatchObject({ remote: '203.0.113.9', route: 'base', status: 200 })
    await server!.close()

    const plain = await start('storage: { inmemory: }\n')
    const direct = await fetch(`${plain.url}/v2/`, { headers })
    const id = direct.headers.get('x-request-id')
    expect(id).not.toBe('proxy-req-1')
    expect(await plain.line(id)).toMatchObject({ remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
  })

  it('a request the client left before any answer is logged as unanswered, not as 200', async () => {
    const { url, logs } = await start('storage: { inmemory: }\n')
    const { port } = new URL(url)
    const started = await fetch(`${url}/v2/app/blobs/uploads/`, { method: 'POST' })
    const location = started.headers.get('location')!
    const socket = connect(Number(port), '127.0.0.1')
    // Headers and part of a body: the registry waits for the rest, then the client leaves.
    socket.write(`PATCH ${location} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(10)}`)
    await new Promise<void>((resolve) => server!.running.server.once('request', () => resolve()))
    socket.destroy()
    const entry = await logs.next((e) => e['msg'] === 'request' && e['method'] === 'PATCH')
    expect(entry).toMatchObject({ status: null, answered: false, completed: false, route: 'upload', repository: 'app' })
  })

  it('error lines carry the request id of the access line; storage unavailable is one line without a stack', async () => {
    const { url, logs, line } = await start('storage: { inmemory: }\n')
    const unavailable = await fetch(`${url}/v2/broken/app/tags/list`)
    expect(unavailable.status).toBe(503)
    const unavailableId = unavailable.headers.get('x-request-id')!
    expect(await line(unavailableId)).toMatchObject({ status: 503, errorCode: 'UNAVAILABLE' })
    const warning = logs.entries.find((e) => e['reqId'] === unavailableId && e['msg'] !== 'request')!
    expect(warning).toMatchObject({ level: 'warn', msg: 'request failed: storage unavailable', condition: 'storage unavailable', error: 'connect ECONNREFUSED 127.0.0.1:9000' })
    expect(JSON.stringify(warning)).not.toMatch(/stack|\bat \S+ \(/)

    const bug = await fetch(`${url}/v2/boom/app/tags/list`)
    expect(bug.status).toBe(500)
    const bugId = bug.headers.get('x-request-id')!
    expect(await line(bugId)).toMatchObject({ status: 500, errorCode: 'UNKNOWN' })
    const error = logs.entries.find((e) => e['reqId'] === bugId && e['msg'] === 'request failed')!
    expect(error).toMatchObject({ level: 'error', err: { message: 'boom: a bug', stack: expect.stringContaining('boom: a bug') } })
  })

  it('the start line names the absolute storage root, the auth mode and the metrics URL', async () => {
    const root = relative(process.cwd(), join(dir.path, 'data'))
    const { logs } = await start('storage: { filesystem: { rootdirectory: placeholder } }\nhttp:\n  debug: { addr: 127.0.0.1:0, prometheus: { enabled: true } }\n', { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root })
    const startLine = await logs.next((e) => e['msg'] === 'wharf registry listening')
    expect(startLine).toMatchObject({ storage: 'filesystem', root: join(dir.path, 'data'), auth: 'none', metricsUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/) })
    expect(startLine['debugUrl']).toBe((startLine['metricsUrl'] as string).replace(/\/metrics$/, ''))
  })
})
