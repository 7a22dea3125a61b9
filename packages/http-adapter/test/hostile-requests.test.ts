/**
 * Hostile request targets and headers against a real port on the default storage (fs): names the
 * filesystem cannot hold, paths that `new URL` would rewrite (`\`, `.`, `..`, percent-encoded forms),
 * malformed upload Content-Range values, and the Docker-Content-Digest header on every read. Raw
 * sockets are used where a client library would normalise the path before sending it.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRegistry, type Registry } from '@wharf/core'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** Sends `head` (request line and headers, no final blank line) plus `body` byte for byte on a fresh socket. */
function sendRaw(port: number, head: string, body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    socket.on('data', (part) => parts.push(part))
    socket.on('error', reject)
    // The client keeps its side open until the answer is complete: a half-close reads as a client gone.
    socket.on('end', () => {
      socket.end()
      const text = Buffer.concat(parts).toString('latin1')
      const cut = text.indexOf('\r\n\r\n')
      const lines = text.slice(0, cut).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: text.slice(cut + 4) })
    })
    const length = Buffer.byteLength(body)
    socket.write(`${head}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n${body}`)
  })
}

const sha256 = (bytes: string | Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const errorCode = (body: string) => (JSON.parse(body) as { errors: Array<{ code: string }> }).errors[0]?.code
/** The error code of a registry error body; `undefined` for an answer a listener gave before the registry ran. */
const errorCodeIfAny = (body: string) => {
  try {
    return errorCode(body)
  } catch {
    return undefined
  }
}

let root: string
let registry: Registry
let server: RunningRegistry
let port: number

const CONFIG = '{}'
const LAYER = 'hostile-requests layer bytes 0123456789'
const manifestFor = () =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(CONFIG), size: CONFIG.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(LAYER), size: LAYER.length }],
  })

async function pushBlob(name: string, bytes: string): Promise<Response> {
  return fetch(`${server.url}/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: bytes })
}

async function pushImage(name: string, tag: string): Promise<string> {
  expect((await pushBlob(name, CONFIG)).status).toBe(201)
  expect((await pushBlob(name, LAYER)).status).toBe(201)
  const manifest = manifestFor()
  const res = await fetch(`${server.url}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  })
  expect(res.status).toBe(201)
  return sha256(manifest)
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wharf-hostile-'))
  registry = createRegistry({ storage: createFsDriver({ root }) })
  server = await startRegistry(registry)
  port = server.port
  await pushImage('victim/app', 'v1')
})

afterAll(async () => {
  await server?.close()
  await registry?.close()
  if (root) await rm(root, { recursive: true, force: true })
})

describe('repository names the storage could not hold (fs driver)', () => {
  const long = 'a'.repeat(241)
  const longName = `library/${long}`

  function expectNameInvalid(res: { status: number }, body: string) {
    expect(res.status).toBe(400)
    const error = (JSON.parse(body) as { errors: Array<{ code: string; message: string; detail: { reason: string } }> }).errors[0]!
    expect(error.code).toBe('NAME_INVALID')
    expect(error.detail.reason).toContain('240 characters')
  }

  it('refuses a manifest PUT with a 241-character path component as NAME_INVALID, not 500', async () => {
    const res = await fetch(`${server.url}/v2/${longName}/manifests/latest`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifestFor(),
    })
    expectNameInvalid(res, await res.text())
  })

  it('refuses a monolithic blob upload, a session commit and a mount into such a name', async () => {
    const monolithic = await pushBlob(longName, LAYER)
    expectNameInvalid(monolithic, await monolithic.text())
    const session = await fetch(`${server.url}/v2/${longName}/blobs/uploads/`, { method: 'POST' })
    expectNameInvalid(session, await session.text())
    const commit = await fetch(`${server.url}/v2/${longName}/blobs/uploads/00000000-0000-4000-8000-000000000000?digest=${sha256(LAYER)}`, { method: 'PUT', body: LAYER })
    expectNameInvalid(commit, await commit.text())
    const mount = await fetch(`${server.url}/v2/${longName}/blobs/uploads/?mount=${sha256(LAYER)}&from=victim/app`, { method: 'POST' })
    expectNameInvalid(mount, await mount.text())
    const mountFrom = await fetch(`${server.url}/v2/other/app/blobs/uploads/?mount=${sha256(LAYER)}&from=${longName}`, { method: 'POST' })
    expectNameInvalid(mountFrom, await mountFrom.text())
  })

  it('still stores a name whose components are 240 characters long', async () => {
    const name = `${'b'.repeat(240)}/${'c'.repeat(10)}`
    await pushImage(name, 'edge')
    const res = await fetch(`${server.url}/v2/${name}/manifests/edge`)
    expect(res.status).toBe(200)
  })
})

describe('request targets are routed as sent, never rewritten to another repository', () => {
  it('refuses a backslash in a repository name instead of treating it as "/"', async () => {
    const res = await sendRaw(port, 'POST /v2/a\\b/blobs/uploads/ HTTP/1.1')
    expect(res.status).toBe(400)
    expect(errorCode(res.body)).toBe('NAME_INVALID')
    const catalog = (await (await fetch(`${server.url}/v2/_catalog`)).json()) as { repositories: string[] }
    expect(catalog.repositories).not.toContain('a/b')
  })

  it.each([
    ['a backslash', '/v2/victim\\app/manifests/v1'],
    ['an encoded backslash', '/v2/victim%5Capp/manifests/v1'],
    ['an encoded slash', '/v2/victim%2Fapp/manifests/v1'],
    ['a dot-dot segment', '/v2/other/../victim/app/manifests/v1'],
    ['an encoded dot-dot segment', '/v2/other/%2e%2e/victim/app/manifests/v1'],
    ['an upper-case encoded dot-dot segment', '/v2/other/%2E%2E/victim/app/manifests/v1'],
    ['a dot segment', '/v2/victim/./app/manifests/v1'],
    ['a dot-dot after the route', '/v2/other/x/manifests/../../../victim/app/manifests/v1'],
  ])('does not serve victim/app for %s', async (_what, target) => {
    const get = await sendRaw(port, `GET ${target} HTTP/1.1`)
    expect([400, 404]).toContain(get.status)
    expect(get.headers['docker-content-digest']).toBeUndefined()
    expect(get.body).not.toContain('schemaVersion')
    // The registry's own answer, or a listener refusing the target before it reaches the registry.
    expect(['NAME_INVALID', 'MANIFEST_UNKNOWN', 'UNSUPPORTED', undefined]).toContain(errorCodeIfAny(get.body))
    const del = await sendRaw(port, `DELETE ${target} HTTP/1.1`)
    expect([400, 404, 405]).toContain(del.status)
    expect((await fetch(`${server.url}/v2/victim/app/manifests/v1`)).status).toBe(200)
  })

  it('does not let a dot-dot segment start an upload in another repository', async () => {
    const res = await sendRaw(port, 'POST /v2/public/../victim/app/blobs/uploads/ HTTP/1.1')
    expect(res.status).toBe(400)
    expect(res.headers['location']).toBeUndefined()
    expect(['NAME_INVALID', 'UNSUPPORTED', undefined]).toContain(errorCodeIfAny(res.body))
  })
})

describe('malformed upload Content-Range', () => {
  async function startUpload(): Promise<string> {
    const res = await fetch(`${server.url}/v2/ranges/app/blobs/uploads/`, { method: 'POST' })
    expect(res.status).toBe(202)
    return new URL(res.headers.get('location')!, server.url).pathname
  }

  it('refuses a range that ends past its stated total with 416 and stores nothing', async () => {
    const path = await startUpload()
    const res = await sendRaw(port, `PATCH ${path} HTTP/1.1\r\nContent-Range: bytes 0-9/5\r\nContent-Type: application/octet-stream`, '0123456789')
    expect(res.status).toBe(416)
    expect(errorCode(res.body)).toBe('BLOB_UPLOAD_INVALID')
    const later = await sendRaw(port, `PATCH ${path} HTTP/1.1\r\nContent-Range: bytes 10-19/5\r\nContent-Type: application/octet-stream`, '0123456789')
    expect(later.status).toBe(416)
    const status = await fetch(`${server.url}${path}`)
    expect(status.status).toBe(204)
    expect(status.headers.get('range')).toBe('0-0')
  })

  it.each([
    ['the read form bytes=', 'bytes=0-9'],
    ['a negative start', '-1-9'],
    ['a negative total', 'bytes 0-9/-10'],
    ['numbers beyond Number.MAX_SAFE_INTEGER', '9007199254740993-9007199254741002'],
    ['seventeen-digit numbers', '10000000000000000-10000000000000009'],
    ['an end before the start', '9-0'],
    ['garbage', 'bytes lots'],
  ])('answers %s with 400, never 500', async (_what, header) => {
    const path = await startUpload()
    const res = await sendRaw(port, `PATCH ${path} HTTP/1.1\r\nContent-Range: ${header}\r\nContent-Type: application/octet-stream`, '0123456789')
    expect(res.status).toBe(400)
    expect(errorCode(res.body)).toBe('BLOB_UPLOAD_INVALID')
  })

  it('answers a range whose length differs from the body with 400 SIZE_INVALID', async () => {
    const path = await startUpload()
    const res = await sendRaw(port, `PATCH ${path} HTTP/1.1\r\nContent-Range: 0-9/*\r\nContent-Type: application/octet-stream`, '01234')
    expect(res.status).toBe(400)
    expect(errorCode(res.body)).toBe('SIZE_INVALID')
  })

  it('still accepts a well-formed range with its total', async () => {
    const path = await startUpload()
    const res = await sendRaw(port, `PATCH ${path} HTTP/1.1\r\nContent-Range: bytes 0-9/10\r\nContent-Type: application/octet-stream`, '0123456789')
    expect(res.status).toBe(202)
    expect(res.headers['range']).toBe('0-9')
  })
})

describe('Docker-Content-Digest on every manifest and blob read', () => {
  const layer = sha256(LAYER)

  it.each([
    ['blob GET', 'GET', `/v2/victim/app/blobs/${layer}`, {}, 200],
    ['blob HEAD', 'HEAD', `/v2/victim/app/blobs/${layer}`, {}, 200],
    ['ranged blob GET', 'GET', `/v2/victim/app/blobs/${layer}`, { Range: 'bytes=2-5' }, 206],
    ['unsatisfiable blob GET', 'GET', `/v2/victim/app/blobs/${layer}`, { Range: 'bytes=9999-' }, 416],
    ['conditional blob GET', 'GET', `/v2/victim/app/blobs/${layer}`, { 'If-None-Match': `"${layer}"` }, 304],
    ['conditional blob HEAD', 'HEAD', `/v2/victim/app/blobs/${layer}`, { 'If-None-Match': `"${layer}"` }, 304],
    ['manifest GET by tag', 'GET', '/v2/victim/app/manifests/v1', {}, 200],
    ['manifest HEAD by tag', 'HEAD', '/v2/victim/app/manifests/v1', {}, 200],
  ] as const)('%s', async (_what, method, path, headers, status) => {
    const res = await fetch(`${server.url}${path}`, { method, headers })
    await res.arrayBuffer()
    expect(res.status).toBe(status)
    expect(res.headers.get('docker-content-digest')).toBe(path.includes('/blobs/') ? layer : sha256(manifestFor()))
  })

  it('on manifest GET and HEAD by digest, and on 304', async () => {
    const digest = sha256(manifestFor())
    for (const method of ['GET', 'HEAD']) {
      const plain = await fetch(`${server.url}/v2/victim/app/manifests/${digest}`, { method })
      await plain.arrayBuffer()
      expect(plain.headers.get('docker-content-digest')).toBe(digest)
      const cached = await fetch(`${server.url}/v2/victim/app/manifests/${digest}`, { method, headers: { 'If-None-Match': `"${digest}"` } })
      expect(cached.status).toBe(304)
      expect(cached.headers.get('docker-content-digest')).toBe(digest)
    }
  })
})
