import { createHash, generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry, type MirrorEvent, type Registry } from '@wharf/core'
import { createTokenAuth, createTokenServer } from '@wharf/auth'
import { createFsDriver } from '@wharf/storage-fs'
import { startRegistry, type RunningRegistry } from '@wharf/http-adapter'
import { makeTinyImage, pushImage } from '@wharf/testing/registry'
import { requireBinary } from '../../../../test-support/interop/commands.js'
import { inspectRaw, skopeo } from '../../../../test-support/interop/skopeo.js'
import { createTempDir, startFromYaml, type TestServer } from '../helpers/in-process.js'
import { startContainerd, type RunningContainerd } from './helpers/containerd.js'
import { startRecordingProxy, type RecordingProxy } from './helpers/recording-proxy.js'

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** A tiny upstream that serves one image whose layer has one byte flipped (the manifest is honest). */
async function startTamperingUpstream(): Promise<{ url: string; blobFetches: () => number; authorizations: string[]; close(): Promise<void> }> {
  const image = makeTinyImage()
  const layer = image.layers[0]!
  const tampered = Buffer.from(layer.bytes)
  tampered[tampered.length - 1]! ^= 0xff
  let fetches = 0
  const authorizations: string[] = []
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization) authorizations.push(req.headers.authorization)
    const path = req.url ?? ''
    if (path === `/v2/evil/app/manifests/v1` || path === `/v2/evil/app/manifests/${image.manifest.digest}`) {
      res.writeHead(200, { 'Content-Type': image.manifest.mediaType, 'Docker-Content-Digest': image.manifest.digest, 'Content-Length': image.manifest.bytes.length })
      res.end(req.method === 'HEAD' ? undefined : image.manifest.bytes)
    } else if (path === `/v2/evil/app/blobs/${layer.digest}`) {
      fetches++
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': tampered.length })
      res.end(req.method === 'HEAD' ? undefined : tampered)
    } else if (path === `/v2/evil/app/blobs/${image.config.digest}`) {
      res.writeHead(200, { 'Content-Length': image.config.bytes.length })
      res.end(req.method === 'HEAD' ? undefined : image.config.bytes)
    } else {
      res.writeHead(404, { 'Content-Length': 0 }).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    blobFetches: () => fetches,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

/**
 * One wharf mirrors two upstreams chosen by host: a wharf registry behind Docker token auth
 * (`token.test`) and a fake that tampers with a blob (`fake.test`). containerd selects them with
 * `?ns=` through a hosts.toml whose `server` cannot even be resolved, so only the mirror can answer.
 */
describe('many upstreams: token auth, ns selection, a tampered blob', () => {
  let temp: { path: string; remove(): Promise<void> }
  let upstreamRegistry: Registry
  let upstream: RunningRegistry
  let open: RunningRegistry
  let realm: RecordingProxy
  let tokenServer: RunningRegistry
  let fake: Awaited<ReturnType<typeof startTamperingUpstream>>
  let wharf: TestServer
  let containerd: RunningContainerd | undefined
  const events: MirrorEvent[] = []

  beforeAll(async () => {
    for (const [binary, pkg] of [['skopeo', 'skopeo'], ['ctr', 'containerd']]) requireBinary(binary!, pkg!)
    temp = await createTempDir('wharf-mirror-token-')
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const tokens = createTokenServer({ issuer: 'test-issuer', service: 'upstream', signingKey: privateKey, authenticate: (user, password) => user === 'mirror' && password === 'tok3n' })
    tokenServer = await startRegistry({ fetch: tokens } as never)
    // The realm is reached through a recording proxy, to see which credentials it receives.
    realm = await startRecordingProxy(tokenServer.url)
    const storage = join(temp.path, 'upstream')
    upstreamRegistry = createRegistry({ storage: createFsDriver({ root: storage }), auth: createTokenAuth({ realm: `${realm.url}/token`, service: 'upstream', issuer: 'test-issuer', keys: { publicKey } }) })
    upstream = await startRegistry(upstreamRegistry)
    // Content goes in through an open registry on the same storage (the token flow is for pulls here).
    open = await startRegistry(createRegistry({ storage: createFsDriver({ root: storage }) }))
    fake = await startTamperingUpstream()
    wharf = await startFromYaml([
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(temp.path, 'wharf')}`,
      'proxy:',
      '  pushes: unmirrored',
      '  upstreams:',
      `    - remoteurl: ${upstream.url}`,
      '      host: token.test',
      '      username: mirror',
      '      password: tok3n',
      `    - remoteurl: ${fake.url}`,
      '      host: fake.test',
      '',
    ].join('\n'), {
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
    await fake?.close()
    await realm?.close()
    await tokenServer?.close()
    await open?.close()
    await upstream?.close()
    await temp?.remove()
  })

  it('pulls through the Docker token flow, sending the credentials only to the realm', async () => {
    const pushed = await pushImage(open.url, 'team/app:v1')
    const wharfHost = new URL(wharf.url).host
    // Selected by the repository prefix token.test/.
    const raw = await inspectRaw(`docker://${wharfHost}/token.test/team/app:v1`)
    expect(sha256(raw)).toBe(pushed.digest)
    await skopeo('copy', '--src-tls-verify=false', `docker://${wharfHost}/token.test/team/app:v1`, `oci:${join(temp.path, 'pulled')}:app`)
    const basic = `Basic ${Buffer.from('mirror:tok3n').toString('base64')}`
    expect(realm.authorizations).toContain(basic)
    expect(fake.authorizations).toEqual([])
  })

  it('lets containerd reach upstreams by ns= only (hosts.toml server unresolvable), same digest', async () => {
    const pushed = await pushImage(open.url, 'team/other:v1')
    const hosts = join(temp.path, 'hosts', 'token.test')
    await mkdir(hosts, { recursive: true })
    await writeFile(join(hosts, 'hosts.toml'), ['server = "http://token.test.invalid"', '', `[host."${wharf.url}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'))
    const ref = 'token.test/team/other:v1'
    await containerd!.ctr('images', 'pull', '--hosts-dir', join(temp.path, 'hosts'), ref)
    expect((await containerd!.ctr('images', 'ls', `name==${ref}`)).stdout).toContain(pushed.digest)
    // Stored under the upstream's prefix: the same cache the prefix form reads.
    const cached = await fetch(`${wharf.url}/v2/token.test/team/other/manifests/${pushed.digest}`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })
    expect(cached.status).toBe(200)
  })

  it('refuses a tampered upstream blob: the client is cut, nothing is stored, skopeo fails', async () => {
    const manifest = await fetch(`${wharf.url}/v2/evil/app/manifests/v1?ns=fake.test`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })
    expect(manifest.headers.get('oci-namespace')).toBe('fake.test')
    const layer = ((await manifest.json()) as { layers: { digest: string }[] }).layers[0]!.digest
    // A small blob is checked before its headers leave, a large one before its last bytes: cut either way.
    const outcome = await fetch(`${wharf.url}/v2/evil/app/blobs/${layer}?ns=fake.test`).then((r) => r.arrayBuffer()).then(() => 'complete', () => 'cut')
    expect(outcome).toBe('cut')
    expect(events.some((e) => e.type === 'upstream-error' && e.reason === 'digest-mismatch' && e.digest === layer)).toBe(true)
    await expect(skopeo('copy', '--src-tls-verify=false', `docker://${new URL(wharf.url).host}/fake.test/evil/app:v1`, `oci:${join(temp.path, 'evil')}:app`)).rejects.toThrow()
    // Never stored: every attempt went back to the upstream.
    expect(fake.blobFetches()).toBeGreaterThanOrEqual(2)
    const stored = await fetch(`${wharf.url}/v2/fake.test/evil/app/blobs/${layer}`, { method: 'HEAD' })
    expect(stored.headers.get('content-length')).not.toBe(null)
    await fake.close()
    expect((await fetch(`${wharf.url}/v2/fake.test/evil/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(503)
  })

  it('accepts pushes to repositories no upstream claims (pushes: unmirrored), refuses them in mirrored ones', async () => {
    await pushImage(wharf.url, 'local/app:v1')
    expect((await fetch(`${wharf.url}/v2/token.test/x/blobs/uploads/`, { method: 'POST' })).status).toBe(405)
  })
})
