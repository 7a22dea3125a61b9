import { copyFile, mkdir, rm } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestImage, createDocker, freePort, pushedDigest, sh, type Docker } from './helpers/docker.js'
import { makeCertificates } from './helpers/certs.js'

let docker: Docker
const certsDirs: string[] = []
beforeAll(async () => {
  docker = await createDocker()
})
afterAll(async () => {
  for (const dir of certsDirs) await rm(dir, { recursive: true, force: true })
  await docker.cleanUp()
})

/** This machine's first non-loopback IPv4 address, if any. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address
}

/**
 * dockerd reads registry CAs from /etc/docker/certs.d/HOST:PORT/ca.crt only: 20.10 has no flag or
 * daemon.json key for another directory (rootless mode aside), so the test writes there, under its
 * own free port, and removes it after.
 */
async function trustForDaemon(hostPort: string, ca: string): Promise<void> {
  const dir = join('/etc/docker/certs.d', hostPort)
  await mkdir(dir, { recursive: true })
  await copyFile(ca, join(dir, 'ca.crt'))
  certsDirs.push(dir)
}

describe('TLS from REGISTRY_HTTP_TLS_* and mounted certificates', () => {
  // Invariant: with -e REGISTRY_HTTP_TLS_CERTIFICATE/KEY and the certificates mounted, the registry
  // speaks only HTTPS with that certificate: a client trusting the CA verifies it (curl, skopeo with
  // --cert-dir), one that does not is refused, and docker login/push/pull work over it. docker
  // never verifies certificates of 127.0.0.0/8 (insecure by default), so the daemon's trust through
  // certs.d is checked on the machine's other address when it has one: refused before ca.crt is
  // there, accepted after.
  it('serves HTTPS with the mounted certificate, and docker pushes and pulls through it', async () => {
    const port = await freePort()
    const external = externalAddress()
    const certs = await docker.tempDir('certs')
    await makeCertificates(certs, ['127.0.0.1', ...(external ? [external] : [])])
    const name = docker.track('container', `registry-tls-${port}`)
    await docker.run(['run', '-d', '--name', name, '--network', 'host', '-v', `${certs}:/certs:ro`,
      '-e', `REGISTRY_HTTP_ADDR=:${port}`,
      '-e', 'REGISTRY_HTTP_TLS_CERTIFICATE=/certs/domain.crt', '-e', 'REGISTRY_HTTP_TLS_KEY=/certs/domain.key',
      '-v', `${docker.track('volume', `tls-${port}`)}:/var/lib/registry`, docker.image])
    const base = `https://127.0.0.1:${port}`
    for (;;) {
      const probe = await sh('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(certs, 'ca.crt'), `${base}/healthz`], { allowFailure: true })
      if (probe.stdout === '200') break
      const running = await docker.run(['inspect', '-f', '{{.State.Running}}', name])
      if (running.stdout.trim() !== 'true') throw new Error(`${name} stopped:\n${(await docker.run(['logs', name])).stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    // Without the CA the certificate is refused; plain HTTP is not served.
    expect((await sh('curl', ['-sS', '-o', '/dev/null', `${base}/v2/`], { allowFailure: true })).code).not.toBe(0)
    const plain = await sh('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/v2/`], { allowFailure: true })
    expect(plain.stdout).not.toBe('200')

    await trustForDaemon(`127.0.0.1:${port}`, join(certs, 'ca.crt'))
    const ref = `127.0.0.1:${port}/secure/app:1`
    await buildTestImage(docker, ref, `tls ${port}`)
    const digest = pushedDigest((await docker.run(['push', ref])).stdout)

    // skopeo verifies against the CA in --cert-dir (a private directory, unlike dockerd's certs.d).
    const skopeoCerts = await docker.tempDir('skopeo-certs')
    await copyFile(join(certs, 'ca.crt'), join(skopeoCerts, 'ca.crt'))
    const inspected = await sh('skopeo', ['inspect', '--cert-dir', skopeoCerts, '--format', '{{.Digest}}', `docker://${ref}`])
    expect(inspected.stdout.trim()).toBe(digest)
    expect((await sh('skopeo', ['inspect', '--cert-dir', certs + '-none', `docker://${ref}`], { allowFailure: true })).code).not.toBe(0)

    if (external) {
      const remote = `${external}:${port}/secure/app@${digest}`
      const untrusted = await docker.run(['pull', remote], { allowFailure: true })
      expect(untrusted.code).not.toBe(0)
      expect(untrusted.stderr).toMatch(/x509|certificate/)
      await trustForDaemon(`${external}:${port}`, join(certs, 'ca.crt'))
      await docker.run(['pull', remote])
    } else {
      await docker.run(['rmi', ref])
      await docker.run(['pull', ref])
    }
  })
})
