import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHtpasswdLine, createTestCertificates, type TestCertificates } from './helpers/certificates.js'
import { httpsRequest } from './helpers/https-request.js'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { writeOciLayout } from './helpers/oci-layout.js'
import { pushImage } from './helpers/registry-client.js'

const run = promisify(execFile)
const skopeo = (...args: string[]) => run('skopeo', args, { timeout: 60_000 })

let dir: { path: string; remove(): Promise<void> }
let certs: TestCertificates
let ca: Buffer
let htpasswd: string
let server: TestServer | undefined

beforeAll(async () => {
  dir = await createTempDir()
  certs = await createTestCertificates(dir.path)
  ca = await readFile(certs.caCert)
  htpasswd = join(dir.path, 'htpasswd')
  await writeFile(htpasswd, `${await createHtpasswdLine('alice', 'wonderland')}\n`)
})
afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(() => dir.remove())

const tlsYaml = (extra = '') => `
storage: { inmemory: }
http:
  tls:
    certificate: ${certs.serverCert}
    key: ${certs.serverKey}
${extra}`

/** A skopeo --cert-dir: the CA (`*.crt`) and, optionally, the client pair (`*.cert` + `*.key`). */
async function certDir(name: string, withClient: boolean): Promise<string> {
  const path = join(dir.path, name)
  await mkdir(path, { recursive: true })
  await copyFile(certs.caCert, join(path, 'ca.crt'))
  if (withClient) {
    await copyFile(certs.clientCert, join(path, 'client.cert'))
    await copyFile(certs.clientKey, join(path, 'client.key'))
  }
  return path
}

describe('TLS from http.tls', () => {
  it('serves HTTPS with the configured certificate, trusted through its CA', async () => {
    server = await startFromYaml(tlsYaml())
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const response = await httpsRequest(`${server.url}/v2/`, { ca })
    expect(response.status).toBe(200)
    await expect(httpsRequest(`${server.url}/v2/`)).rejects.toThrow(/self[- ]signed|unable to (verify|get local issuer)/i)
  })

  it('skopeo pushes and inspects over TLS with --cert-dir', async () => {
    server = await startFromYaml(tlsYaml())
    const layout = join(dir.path, 'layout-tls')
    const image = await writeOciLayout(layout, 'v1', new TextEncoder().encode('tls layer'))
    const host = server.url.replace('https://', '')
    const certs = await certDir('skopeo-ca-only', false)
    await skopeo('copy', '--dest-cert-dir', certs, `oci:${layout}:v1`, `docker://${host}/secure/app:v1`)
    const { stdout } = await skopeo('inspect', '--raw', '--cert-dir', certs, `docker://${host}/secure/app:v1`)
    // skopeo may compress the layer on the way, so compare what it pushed with what the registry serves.
    const manifest = JSON.parse(stdout) as { layers: Array<{ digest: string; size: number }> }
    expect(manifest.layers).toHaveLength(1)
    const blob = await httpsRequest(`${server.url}/v2/secure/app/blobs/${manifest.layers[0]!.digest}`, { method: 'HEAD', ca })
    expect(blob.status).toBe(200)
    expect(Number(blob.headers['content-length'])).toBe(manifest.layers[0]!.size)
    expect(image.manifestDigest).toMatch(/^sha256:/)
  })

  it('with clientcas, refuses a client without a certificate and accepts one signed by the CA (mutual TLS)', async () => {
    server = await startFromYaml(tlsYaml(`    clientcas: [${certs.caCert}]\n`))
    await expect(httpsRequest(`${server.url}/v2/`, { ca })).rejects.toThrow()
    const withCert = await httpsRequest(`${server.url}/v2/`, { ca, cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey) })
    expect(withCert.status).toBe(200)

    const host = server.url.replace('https://', '')
    const layout = join(dir.path, 'layout-mtls')
    await writeOciLayout(layout, 'v1', new TextEncoder().encode('mtls layer'))
    await expect(skopeo('copy', '--dest-cert-dir', await certDir('skopeo-no-client', false), `oci:${layout}:v1`, `docker://${host}/m/app:v1`)).rejects.toThrow()
    await skopeo('copy', '--dest-cert-dir', await certDir('skopeo-client', true), `oci:${layout}:v1`, `docker://${host}/m/app:v1`)
    const tags = await httpsRequest(`${server.url}/v2/m/app/tags/list`, { ca, cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey) })
    expect(JSON.parse(tags.body)).toEqual({ name: 'm/app', tags: ['v1'] })
  })
})

describe('auth.htpasswd from the configuration', () => {
  it('asks for Basic credentials and accepts the htpasswd user', async () => {
    server = await startFromYaml(`storage: { inmemory: }\nauth:\n  htpasswd: { realm: Registry Realm, path: ${htpasswd} }\n`)
    const anonymous = await fetch(`${server.url}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="Registry Realm"')
    const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
    expect((await fetch(`${server.url}/v2/`, { headers: basic('alice', 'wrong') })).status).toBe(401)
    expect((await fetch(`${server.url}/v2/`, { headers: basic('alice', 'wonderland') })).status).toBe(200)
    await pushImage(server.url, 'alice/app', 'v1', undefined, basic('alice', 'wonderland'))
    expect((await fetch(`${server.url}/v2/alice/app/tags/list`)).status).toBe(401)
    expect(await (await fetch(`${server.url}/v2/alice/app/tags/list`, { headers: basic('alice', 'wonderland') })).json()).toEqual({ name: 'alice/app', tags: ['v1'] })
  })

  it('works from REGISTRY_AUTH=htpasswd variables, and with TLS, for skopeo with --dest-creds', async () => {
    server = await startFromYaml(tlsYaml(), {
      env: { REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Env Realm', REGISTRY_AUTH_HTPASSWD_PATH: htpasswd },
    })
    const denied = await httpsRequest(`${server.url}/v2/`, { ca })
    expect(denied.status).toBe(401)
    expect(denied.headers['www-authenticate']).toBe('Basic realm="Env Realm"')
    const host = server.url.replace('https://', '')
    const layout = join(dir.path, 'layout-auth')
    await writeOciLayout(layout, 'v1', new TextEncoder().encode('auth layer'))
    const certs = await certDir('skopeo-auth', false)
    await expect(skopeo('copy', '--dest-cert-dir', certs, '--dest-creds', 'alice:wrong', `oci:${layout}:v1`, `docker://${host}/a/app:v1`)).rejects.toThrow()
    await skopeo('copy', '--dest-cert-dir', certs, '--dest-creds', 'alice:wonderland', `oci:${layout}:v1`, `docker://${host}/a/app:v1`)
    const { stdout } = await skopeo('list-tags', '--cert-dir', certs, '--creds', 'alice:wonderland', `docker://${host}/a/app`)
    expect(JSON.parse(stdout).Tags).toEqual(['v1'])
  })
})
