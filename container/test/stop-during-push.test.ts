import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDocker, freePort, waitHealthy, type Docker } from './helpers/docker.js'
import { blobDigest, MIB, startUpload, streamPatch } from './helpers/upload.js'

const TOTAL = 48
const PAUSE_AFTER = 16
let docker: Docker
let digest: string
beforeAll(async () => {
  docker = await createDocker()
  digest = blobDigest(TOTAL)
})
afterAll(async () => {
  await docker.cleanUp()
})

async function runRegistry(name: string, port: number, env: string[] = []): Promise<string> {
  docker.track('container', name)
  const volume = docker.track('volume', `${name}-data`)
  await docker.run(['run', '-d', '--name', name, '--network', 'host', '-e', `REGISTRY_HTTP_ADDR=:${port}`,
    ...env.flatMap((e) => ['-e', e]), '-v', `${volume}:/var/lib/registry`, docker.image])
  const base = `http://127.0.0.1:${port}`
  await waitHealthy(docker, name, `${base}/healthz`)
  return base
}

/** Resolves once the server stopped accepting connections (it has taken the SIGTERM). */
async function refusing(base: string): Promise<void> {
  for (;;) {
    const refused = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
      () => false,
      () => true,
    )
    if (refused) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function exitCode(name: string): Promise<number> {
  return Number((await docker.run(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim())
}

describe('docker stop during a push', () => {
  // Invariant: a push still streaming when `docker stop` comes (default 10 s timeout; the image
  // drains for 5 s) is cut, the server exits 0 on its own (no SIGKILL), nothing of it is visible as a
  // blob, and after `docker start` the upload resumes from the offset the server reports and
  // completes with the right digest.
  it('leaves the upload resumable and nothing partial visible', async () => {
    const port = await freePort()
    const name = `registry-stop-${port}`
    const base = await runRegistry(name, port)
    const upload = await startUpload(base, 'cut/app')
    const patch = streamPatch(upload, { to: TOTAL, pauseAfter: PAUSE_AFTER })
    await patch.paused
    // The body never ends: the drain timeout, not the client, decides when the request stops.
    await docker.run(['stop', name])
    await expect(patch.done).rejects.toThrow()
    expect(await exitCode(name)).toBe(0)

    await docker.run(['start', name])
    await waitHealthy(docker, name, `${base}/healthz`)
    expect((await fetch(`${base}/v2/cut/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404)
    const status = await fetch(upload)
    expect(status.status).toBe(204)
    const range = status.headers.get('range')!
    const received = range === '0-0' ? 0 : Number(range.split('-')[1]) + 1
    expect(received).toBeLessThanOrEqual(PAUSE_AFTER * MIB)

    const rest = streamPatch(upload, { fromByte: received, to: TOTAL, pauseAfter: 0 })
    rest.resume()
    const answer = await rest.done
    expect(answer.status).toBe(202)
    const finish = new URL(answer.location!, base)
    finish.searchParams.set('digest', digest)
    expect((await fetch(finish, { method: 'PUT' })).status).toBe(201)
    const blob = await fetch(`${base}/v2/cut/app/blobs/${digest}`, { method: 'HEAD' })
    expect(blob.status).toBe(200)
    expect(blob.headers.get('content-length')).toBe(String(TOTAL * MIB))
  })

  // Invariant: a request in flight when `docker stop` comes runs to its end when the stop timeout
  // allows it (here a 60 s drain within a 120 s stop timeout): the server stops accepting new
  // connections, the PATCH still gets its 202, the container then exits 0, and the upload can be
  // completed after a restart.
  it('lets an in-flight push finish within the stop timeout', async () => {
    const port = await freePort()
    const name = `registry-drain-${port}`
    const base = await runRegistry(name, port, ['REGISTRY_HTTP_DRAINTIMEOUT=60s'])
    const upload = await startUpload(base, 'drained/app')
    const patch = streamPatch(upload, { to: TOTAL, pauseAfter: PAUSE_AFTER })
    await patch.paused
    const stopped = docker.run(['stop', '-t', '120', name])
    await refusing(base)
    patch.resume()
    const answer = await patch.done
    expect(answer.status).toBe(202)
    await stopped
    expect(await exitCode(name)).toBe(0)

    await docker.run(['start', name])
    await waitHealthy(docker, name, `${base}/healthz`)
    const finish = new URL(answer.location!, base)
    finish.searchParams.set('digest', digest)
    expect((await fetch(finish, { method: 'PUT' })).status).toBe(201)
  })
})
