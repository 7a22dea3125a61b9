import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MirrorEvent } from '@wharf/core'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import { inspectRaw, skopeo } from '../../../../test-support/interop/skopeo.js'
import { toReachableDigests } from '../../../../test-support/interop/oci-layout.js'
import { createTestImages, type TestImages } from '../../../../test-support/interop/test-images.js'
import { createTempDir, startFromYaml, type TestServer } from '../helpers/in-process.js'
import { startContainerd, type RunningContainerd } from './helpers/containerd.js'
import { startRecordingProxy, type RecordingProxy } from './helpers/recording-proxy.js'
import { pushBlob, startRegistry2Upstream, type Registry2Upstream } from './helpers/registry2-upstream.js'

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json'
const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/**
 * registry:2's own configuration (`REGISTRY_PROXY_*`, nothing else) makes wharf a pull-through cache
 * of the reference registry (distribution 2.8) behind htpasswd; skopeo and containerd pull through it.
 */
describe('pull-through cache of distribution 2.8 (REGISTRY_PROXY_REMOTEURL)', () => {
  let temp: { path: string; remove(): Promise<void> }
  let images: TestImages
  let upstream: Registry2Upstream
  let proxy: RecordingProxy
  let wharf: TestServer
  let containerd: RunningContainerd | undefined
  const events: MirrorEvent[] = []
  const wharfHost = () => new URL(wharf.url).host

  beforeAll(async () => {
    for (const [binary, pkg] of [['skopeo', 'skopeo'], ['umoci', 'umoci'], ['ctr', 'containerd'], ['docker-registry', 'docker-registry'], ['htpasswd', 'apache2-utils']]) requireBinary(binary!, pkg!)
    temp = await createTempDir('wharf-mirror-')
    images = await createTestImages(temp.path)
    upstream = await startRegistry2Upstream(temp.path, 'mirror', 's3cret')
    // Every request wharf sends upstream passes here, so fetches can be counted.
    proxy = await startRecordingProxy(upstream.url)
    await Promise.all([
      copyWithCreds(`oci:${images.layout}:${images.single.tag}`, `docker://${upstream.host}/interop/app:v1`),
      copyWithCreds(`oci:${images.layout}:${images.multi.tag}`, `docker://${upstream.host}/interop/multi:v1`, ['--all']),
    ])
    wharf = await startFromYaml(`storage:\n  filesystem:\n    rootdirectory: ${join(temp.path, 'wharf')}\n`, {
      env: { REGISTRY_PROXY_REMOTEURL: proxy.url, REGISTRY_PROXY_USERNAME: 'mirror', REGISTRY_PROXY_PASSWORD: 's3cret', REGISTRY_PROXY_TTL: '1s' },
      override: (options) => {
        options.mirror!.events.on('*', (event) => events.push(event))
        return options
      },
    })
    containerd = await startContainerd(join(temp.path, 'ctd'))
  })

  afterAll(async () => {
    await containerd?.stop()
    await wharf?.close()
    await proxy?.close()
    await upstream?.stop()
    await temp?.remove()
  })

  async function copyWithCreds(source: string, destination: string, extra: string[] = []) {
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds=mirror:s3cret', ...extra, source, destination)
  }

  it('serves skopeo the upstream image byte for byte, fetched on first pull and stored', async () => {
    const raw = await inspectRaw(`docker://${wharfHost()}/interop/app:v1`)
    expect(sha256(raw)).toBe(images.single.digest)
    // skopeo verifies every blob's digest as it copies.
    await skopeo('copy', '--src-tls-verify=false', `docker://${wharfHost()}/interop/app:v1`, `oci:${join(temp.path, 'pulled')}:app`)
    for (const digest of await toReachableDigests(images.layout, images.single.digest)) {
      if (digest === images.single.digest) continue
      const stored = await fetch(`${wharf.url}/v2/interop/app/blobs/${digest}`, { method: 'HEAD' })
      expect(stored.status, digest).toBe(200)
    }
    expect(events.some((e) => e.type === 'miss' && e.kind === 'blob' && e.stored)).toBe(true)
    // Pushes are refused, as registry:2 does in proxy mode.
    expect((await fetch(`${wharf.url}/v2/interop/app/blobs/uploads/`, { method: 'POST' })).status).toBe(405)
  })

  it('lets containerd pull through a hosts.toml mirror (ns= sent, OCI-Namespace echoed), same digests', async () => {
    // The image's registry is wharf's upstream (here the recording proxy in front of distribution).
    const hosts = join(temp.path, 'hosts', proxy.host)
    await mkdir(hosts, { recursive: true })
    await writeFile(join(hosts, 'hosts.toml'), [`server = "${proxy.url}"`, '', `[host."${wharf.url}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'))
    const ref = `${proxy.host}/interop/multi:v1`
    await containerd!.ctr('images', 'pull', '--hosts-dir', join(temp.path, 'hosts'), ref)
    const { stdout } = await containerd!.ctr('images', 'ls', `name==${ref}`)
    expect(stdout).toContain(images.multi.digest)
    // containerd found it through wharf: the index was a miss there.
    expect(events.some((e) => e.type === 'miss' && e.kind === 'manifest' && e.repository === 'interop/multi')).toBe(true)
    const echoed = await fetch(`${wharf.url}/v2/interop/multi/manifests/v1?ns=${proxy.host}`, { method: 'HEAD', headers: { Accept: ACCEPT } })
    expect(echoed.headers.get('oci-namespace')).toBe(proxy.host)
    expect(proxy.requests.some((line) => line.includes('ns='))).toBe(false)
  })

  it('sees a tag moved upstream once its ttl has passed', async () => {
    const digestOf = async () => (await fetch(`${wharf.url}/v2/interop/moving/manifests/latest`, { method: 'HEAD', headers: { Accept: ACCEPT } })).headers.get('docker-content-digest')
    await copyWithCreds(`oci:${images.layout}:${images.single.tag}`, `docker://${upstream.host}/interop/moving:latest`)
    expect(await digestOf()).toBe(images.single.digest)
    await copyWithCreds(`oci:${images.layout}:${images.multi.tag}`, `docker://${upstream.host}/interop/moving:latest`, ['--all'])
    // Polls the observable result (ttl is 1 s); the deadline only bounds a failure.
    const deadline = Date.now() + 30_000
    let seen = await digestOf()
    while (seen !== images.multi.digest && Date.now() < deadline) seen = await digestOf()
    expect(seen).toBe(images.multi.digest)
  })

  it('answers 20 concurrent pulls of one uncached 64 MiB blob with one upstream fetch', async () => {
    const bytes = randomBytes(64 * 1024 * 1024)
    const digest = sha256(bytes)
    await pushBlob(upstream.url, upstream.basic, 'interop/big', bytes, digest)
    const path = `/v2/interop/big/blobs/${digest}`
    const hashes = await Promise.all(Array.from({ length: 20 }, async () => {
      const response = await fetch(`${wharf.url}${path}`)
      expect(response.status).toBe(200)
      const hash = createHash('sha256')
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk)
      return `sha256:${hash.digest('hex')}`
    }))
    expect(new Set(hashes)).toEqual(new Set([digest]))
    expect(proxy.requests.filter((line) => line === `GET ${path}`)).toHaveLength(1)
  })

  it('keeps serving cached images to skopeo and containerd once the upstream is stopped', async () => {
    await upstream.stop()
    await skopeo('copy', '--src-tls-verify=false', `docker://${wharfHost()}/interop/app:v1`, `oci:${join(temp.path, 'offline')}:app`)
    const stale = await fetch(`${wharf.url}/v2/interop/app/manifests/v1`, { method: 'HEAD', headers: { Accept: ACCEPT } })
    expect(stale.status).toBe(200)
    expect(stale.headers.get('docker-content-digest')).toBe(images.single.digest)
    expect(stale.headers.get('warning')).toMatch(/^110 /)
    const ref = `${proxy.host}/interop/multi:v1`
    await containerd!.ctr('images', 'rm', ref)
    await containerd!.ctr('content', 'rm', ...(await containerd!.ctr('content', 'ls', '-q')).stdout.split('\n').filter(Boolean))
    await containerd!.ctr('images', 'pull', '--hosts-dir', join(temp.path, 'hosts'), ref)
    expect((await containerd!.ctr('images', 'ls', `name==${ref}`)).stdout).toContain(images.multi.digest)
    expect(events.some((e) => e.type === 'stale')).toBe(true)
  })
})
