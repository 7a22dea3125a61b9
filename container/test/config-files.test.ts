import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestImage, createDocker, freePort, pushedDigest, waitHealthy, type Docker } from './helpers/docker.js'

let docker: Docker
beforeAll(async () => {
  docker = await createDocker()
})
afterAll(async () => {
  await docker.cleanUp()
})

/** A registry:2 config.yml as the distribution docs give it, with a marker header to see it was read. */
function registry2Config(port: number, marker: string): string {
  return `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :${port}
  headers:
    X-Content-Type-Options: [nosniff]
    X-Config-File: [${marker}]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`
}

// Invariant: a config.yml mounted where registry:2 (/etc/docker/registry/config.yml) or registry:3
// (/etc/distribution/config.yml) reads it is the configuration the server runs with, no
// environment variable needed: it listens where the file says, answers with the file's headers,
// honours its settings (deletes on) and stores on the volume.
describe.each([
  ['/etc/docker/registry/config.yml', 'registry2'],
  ['/etc/distribution/config.yml', 'registry3'],
])('a config.yml mounted at %s', (path, marker) => {
  it('is the configuration the server runs with', async () => {
    const port = await freePort()
    const dir = await docker.tempDir('config')
    await writeFile(join(dir, 'config.yml'), registry2Config(port, marker), { mode: 0o644 })
    const name = docker.track('container', `registry-${marker}-${port}`)
    await docker.run(['run', '-d', '--name', name, '--network', 'host', '-v', `${join(dir, 'config.yml')}:${path}:ro`,
      '-v', `${docker.track('volume', `${marker}-${port}`)}:/var/lib/registry`, docker.image])
    const base = `http://127.0.0.1:${port}`
    await waitHealthy(docker, name, `${base}/healthz`)
    expect((await fetch(`${base}/v2/`)).headers.get('x-config-file')).toBe(marker)

    const ref = `127.0.0.1:${port}/configured/app:1`
    await buildTestImage(docker, ref, `${marker} ${port}`)
    const digest = pushedDigest((await docker.run(['push', ref])).stdout)
    const deleted = await fetch(`${base}/v2/configured/app/manifests/${digest}`, { method: 'DELETE' })
    expect(deleted.status).toBe(202)
    expect((await docker.run(['exec', name, 'ls', '/var/lib/registry'])).stdout.trim()).not.toBe('')
  })
})
