import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestImage, createDocker, freePort, pushedDigest, waitHealthy, type Docker } from './helpers/docker.js'

let docker: Docker
beforeAll(async () => {
  docker = await createDocker()
})
afterAll(async () => {
  await docker.cleanUp()
})

/** `docker run -d --restart always --name … -v VOLUME:/var/lib/registry IMAGE`, on a free port of the host network. */
async function runRegistry(name: string, volume: string, port: number, extra: string[] = []): Promise<void> {
  docker.track('container', name)
  await docker.run(['run', '-d', '--restart', 'always', '--name', name, '--network', 'host',
    '-e', `REGISTRY_HTTP_ADDR=:${port}`, '-v', `${volume}:/var/lib/registry`, ...extra, docker.image])
  await waitHealthy(docker, name, `http://127.0.0.1:${port}/healthz`)
}

describe('the image run as registry:2 is run', () => {
  // Invariant: an image pushed with `docker push` comes back with `docker pull` under the same
  // digest, and it lives on the volume: after `docker rm` of the container, a new container on the
  // same volume serves it unchanged.
  it('push, pull back by tag and digest, and keep the data across containers on one volume', async () => {
    const port = await freePort()
    const volume = docker.track('volume', `registry-storage-${port}`)
    await runRegistry(`registry-${port}`, volume, port)

    const ref = `127.0.0.1:${port}/my/app:1.0`
    await buildTestImage(docker, ref, `plain run ${port}`)
    const digest = pushedDigest((await docker.run(['push', ref])).stdout)
    await docker.run(['rmi', ref])
    await docker.run(['pull', ref])
    expect((await docker.run(['image', 'inspect', '-f', '{{join .RepoDigests " "}}', ref])).stdout).toContain(`@${digest}`)

    await docker.run(['rm', '-f', `registry-${port}`])
    await runRegistry(`registry-${port}-again`, volume, port)
    await docker.run(['rmi', ref])
    await docker.run(['pull', `127.0.0.1:${port}/my/app@${digest}`])
    const manifest = await fetch(`http://127.0.0.1:${port}/v2/my/app/manifests/1.0`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
    expect(manifest.headers.get('docker-content-digest')).toBe(digest)
  })

  // Invariant: the image's own conventions hold: node is PID 1 (so `docker stop` reaches the server),
  // the server runs as the unprivileged `node` user with the image's malloc settings, it needs no writable root file system (the
  // Kubernetes examples set readOnlyRootFilesystem), and the image's HEALTHCHECK reports healthy.
  it('runs node as PID 1, not as root, on a read-only root, and its HEALTHCHECK turns healthy', async () => {
    const port = await freePort()
    const name = `registry-health-${port}`
    // A 1 s interval instead of the image's 30 s, so that the first check comes soon; a long timeout
    // and many retries, because what is checked is that the check passes, not how fast on a busy machine.
    await runRegistry(name, docker.track('volume', `health-${port}`), port,
      ['--read-only', '--health-interval', '1s', '--health-start-period', '1s', '--health-timeout', '60s', '--health-retries', '20'])
    expect((await docker.run(['exec', name, 'cat', '/proc/1/cmdline'])).stdout.split('\0')).toEqual(
      ['node', '/opt/wharf/dist/cli.js', 'serve', '/etc/wharf/config.yml', ''],
    )
    expect((await docker.run(['exec', name, 'id', '-u'])).stdout.trim()).toBe('1000')
    // The server runs with the image's malloc thresholds (packages/server/README.md, "Memory"). glibc
    // parses GLIBC_TUNABLES in place, so /proc/1/environ shows it cut at the first ':'.
    expect(JSON.parse((await docker.run(['inspect', '-f', '{{json .Config.Env}}', name])).stdout)).toContain(
      'GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072',
    )
    expect((await docker.run(['exec', name, 'cat', '/proc/1/environ'])).stdout.split('\0')).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072')
    for (;;) {
      const status = (await docker.run(['inspect', '-f', '{{.State.Health.Status}}', name])).stdout.trim()
      if (status === 'healthy') break
      expect(status).toBe('starting')
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  })

  // Invariant: the image is itself an ordinary image for the registry it contains: `docker push` of
  // wharf:dev into wharf succeeds and the registry then serves the manifest docker reported.
  it('pushes itself', async () => {
    const port = await freePort()
    await runRegistry(`registry-self-${port}`, docker.track('volume', `self-${port}`), port)
    const ref = `127.0.0.1:${port}/wharf:dev`
    await docker.run(['tag', docker.image, ref])
    const digest = pushedDigest((await docker.run(['push', ref])).stdout)
    await docker.run(['rmi', ref])
    const manifest = await fetch(`http://127.0.0.1:${port}/v2/wharf/manifests/dev`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
    expect(manifest.status).toBe(200)
    expect(manifest.headers.get('docker-content-digest')).toBe(digest)
  })
})
