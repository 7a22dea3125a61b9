import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryDriver, createMirror, createRegistry, STALE_WARNING, type MirrorEvent, type MirrorOptions, type Registry } from '@wharf/core'
import { makeTinyImage } from '@wharf/testing/registry'

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'

function call(registry: Registry, path: string, init?: RequestInit): Promise<Response> {
  return registry.fetch(new Request(`http://mirror.test${path}`, init))
}

/** Pushes a generated image into an in-process registry; returns its manifest digest and blobs. */
async function push(registry: Registry, repository: string, tag: string, files?: Record<string, string | Uint8Array>) {
  const image = makeTinyImage(files ? { files } : {})
  for (const blob of [image.config, ...image.layers]) {
    const put = await call(registry, `/v2/${repository}/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: blob.bytes })
    expect(put.status).toBe(201)
  }
  const put = await call(registry, `/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: image.manifest.bytes, headers: { 'content-type': image.manifest.mediaType } })
  expect(put.status).toBe(201)
  return { digest: image.manifest.digest, layer: image.layers[0]! }
}

/** An upstream registry reached through the mirror's `fetch`, recording every request it gets. */
function createUpstream(host: string) {
  const registry = createRegistry({ storage: createMemoryDriver() })
  const requests: string[] = []
  let down = false
  let tamper: string | undefined
  const fetchUpstream: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    requests.push(`${request.method} ${new URL(request.url).pathname}`)
    if (down) throw new TypeError('fetch failed: connection refused')
    const response = await registry.fetch(request)
    if (tamper && request.url.endsWith(tamper) && response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer())
      bytes[bytes.length - 1] ^= 0xff
      return new Response(bytes, { status: response.status, headers: response.headers })
    }
    return response
  }
  return {
    registry,
    requests,
    options: { url: `http://${host}`, host } as const,
    fetch: fetchUpstream,
    setDown: (value: boolean) => void (down = value),
    tamperWith: (digest: string | undefined) => void (tamper = digest),
  }
}

function mirrorOf(upstreams: ReturnType<typeof createUpstream>[], options: Partial<MirrorOptions> & { prefixes?: string[] } = {}) {
  const byHost = new Map(upstreams.map((u) => [u.options.host, u]))
  const mirror = createMirror({
    ...options,
    upstreams: upstreams.map((u, i) => ({ ...u.options, ...(options.prefixes ? { prefix: options.prefixes[i]! } : {}) })),
    fetch: (input, init) => byHost.get(new URL(String(input instanceof Request ? input.url : input)).host)!.fetch(input, init),
  })
  const events: MirrorEvent[] = []
  mirror.events.on('*', (event) => events.push(event))
  const storage = createMemoryDriver()
  return { registry: createRegistry({ storage, mirror }), events, storage }
}

describe('pull-through mirror (library)', () => {
  it('fetches a missing image once, stores it and serves it afterwards without the upstream', async () => {
    const upstream = createUpstream('up.example:5000')
    const pushed = await push(upstream.registry, 'library/app', 'v1')
    const { registry, events } = mirrorOf([upstream], { prefixes: [''] })
    const manifest = await call(registry, '/v2/library/app/manifests/v1', { headers: { Accept: ACCEPT } })
    expect(manifest.status).toBe(200)
    expect(sha256(new Uint8Array(await manifest.arrayBuffer()))).toBe(pushed.digest)
    const blob = await call(registry, `/v2/library/app/blobs/${pushed.layer.digest}`)
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(pushed.layer.digest)
    upstream.setDown(true)
    const again = await call(registry, `/v2/library/app/blobs/${pushed.layer.digest}`)
    expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(pushed.layer.digest)
    const byDigest = await call(registry, `/v2/library/app/manifests/${pushed.digest}`, { headers: { Accept: ACCEPT } })
    expect(byDigest.status).toBe(200)
    const stale = await call(registry, '/v2/library/app/manifests/v1', { headers: { Accept: ACCEPT } })
    expect(stale.status).toBe(200)
    expect(stale.headers.get('warning')).toBe(STALE_WARNING)
    expect(events.map((e) => `${e.type}:${e.kind}`)).toEqual(expect.arrayContaining(['miss:manifest', 'miss:blob', 'hit:blob', 'hit:manifest', 'stale:manifest', 'upstream-error:manifest']))
    // Not cached and the upstream down: 503, not a 404 that would look final.
    expect((await call(registry, `/v2/library/app/blobs/${sha256(randomBytes(8))}`)).status).toBe(503)
  })

  it('selects upstreams by ns (echoed as OCI-Namespace) or by repository prefix, and both share one cache', async () => {
    const a = createUpstream('a.example')
    const b = createUpstream('b.example:5000')
    const inA = await push(a.registry, 'team/app', 'v1')
    const inB = await push(b.registry, 'team/app', 'v1')
    const { registry } = mirrorOf([a, b])
    const viaNs = await call(registry, '/v2/team/app/manifests/v1?ns=b.example:5000', { headers: { Accept: ACCEPT } })
    expect(viaNs.headers.get('oci-namespace')).toBe('b.example:5000')
    expect(viaNs.headers.get('docker-content-digest')).toBe(inB.digest)
    const viaPrefix = await call(registry, '/v2/a.example/team/app/manifests/v1', { headers: { Accept: ACCEPT } })
    expect(viaPrefix.headers.get('docker-content-digest')).toBe(inA.digest)
    const before = b.requests.length
    const cached = await call(registry, `/v2/b.example-5000/team/app/manifests/${inB.digest}`, { headers: { Accept: ACCEPT } })
    expect(cached.status).toBe(200)
    expect(b.requests.length).toBe(before)
    // Not mirrored and no ns: the registry's own (empty) repository.
    expect((await call(registry, '/v2/team/app/manifests/v1')).status).toBe(404)
  })

  it('refuses pushes by default, and accepts them in unmirrored repositories when configured', async () => {
    const upstream = createUpstream('up.example')
    const strict = mirrorOf([upstream])
    const refused = await call(strict.registry, '/v2/mine/app/blobs/uploads/', { method: 'POST' })
    expect(refused.status).toBe(405)
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNSUPPORTED')
    const open = mirrorOf([upstream], { pushes: 'unmirrored' })
    await push(open.registry, 'mine/app', 'v1')
    expect((await call(open.registry, '/v2/up.example/x/blobs/uploads/', { method: 'POST' })).status).toBe(405)
  })

  it('20 concurrent pulls of one missing blob make one upstream fetch, and all get the bytes', async () => {
    const upstream = createUpstream('up.example')
    const big = randomBytes(4 * 1024 * 1024)
    const pushed = await push(upstream.registry, 'library/big', 'v1', { 'big.bin': big })
    const { registry } = mirrorOf([upstream], { prefixes: [''] })
    const path = `/v2/library/big/blobs/${pushed.layer.digest}`
    const bodies = await Promise.all(Array.from({ length: 20 }, async () => sha256(new Uint8Array(await (await call(registry, path)).arrayBuffer()))))
    expect(new Set(bodies)).toEqual(new Set([pushed.layer.digest]))
    expect(upstream.requests.filter((r) => r === `GET ${path}`)).toHaveLength(1)
  })

  it('cuts the client and stores nothing when the upstream blob does not match its digest', async () => {
    const upstream = createUpstream('up.example')
    const pushed = await push(upstream.registry, 'library/app', 'v1')
    const { registry, events } = mirrorOf([upstream], { prefixes: [''] })
    upstream.tamperWith(pushed.layer.digest)
    const response = await call(registry, `/v2/library/app/blobs/${pushed.layer.digest}`)
    expect(response.status).toBe(200)
    await expect(response.arrayBuffer()).rejects.toThrow()
    expect(events.some((e) => e.type === 'upstream-error' && e.reason === 'digest-mismatch')).toBe(true)
    upstream.tamperWith(undefined)
    upstream.setDown(true)
    expect((await call(registry, `/v2/library/app/blobs/${pushed.layer.digest}`, { method: 'HEAD' })).status).toBe(503)
  })

  it('re-validates a tag only after its ttl, then serves where the upstream moved it', async () => {
    const upstream = createUpstream('up.example')
    const first = await push(upstream.registry, 'library/app', 'latest')
    const { registry } = mirrorOf([upstream], { prefixes: [''], tagTtlMs: 3_600_000 })
    const digestOf = async () => (await call(registry, '/v2/library/app/manifests/latest', { method: 'HEAD', headers: { Accept: ACCEPT } })).headers.get('docker-content-digest')
    expect(await digestOf()).toBe(first.digest)
    await push(upstream.registry, 'library/app', 'latest')
    expect(await digestOf()).toBe(first.digest)
    const fresh = mirrorOf([upstream], { prefixes: [''], tagTtlMs: 0 })
    const second = await push(upstream.registry, 'library/app', 'latest')
    expect(await (async () => (await call(fresh.registry, '/v2/library/app/manifests/latest', { method: 'HEAD', headers: { Accept: ACCEPT } })).headers.get('docker-content-digest'))()).toBe(second.digest)
  })
})
