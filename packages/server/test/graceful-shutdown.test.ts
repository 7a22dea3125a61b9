import { createHash } from 'node:crypto'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureCliBuilt, spawnCli, type CliProcess } from './helpers/cli-process.js'
import { createTempDir } from './helpers/in-process.js'
import { MIB, streamUpload, testBlobDigest } from './helpers/streamed-upload.js'

const BLOB_MIB = 256
let digest: string
const running: CliProcess[] = []
const dirs: Array<{ remove(): Promise<void> }> = []

beforeAll(async () => {
  await ensureCliBuilt()
  digest = testBlobDigest(BLOB_MIB)
}, 300_000)

afterEach(async () => {
  for (const cli of running.splice(0)) cli.kill()
  for (const dir of dirs.splice(0)) await dir.remove()
})

async function start(root: string, env: Record<string, string> = {}): Promise<{ cli: CliProcess; url: string }> {
  const cli = spawnCli([], { env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, ...env } })
  running.push(cli)
  return { cli, url: await cli.listening() }
}

async function tempRoot(): Promise<string> {
  const dir = await createTempDir()
  dirs.push(dir)
  return join(dir.path, 'root')
}

async function startUpload(url: string, repository: string): Promise<string> {
  const response = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  expect(response.status).toBe(202)
  return new URL(response.headers.get('location')!, url).href
}

/** sha256 of a blob as the registry serves it (streamed, never held in memory). */
async function servedDigest(url: string): Promise<string> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  const hash = createHash('sha256')
  for await (const chunk of response.body!) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
}

describe('graceful shutdown of the CLI', () => {
  it('SIGTERM during a 256 MiB push: refuses new connections, finishes the push, then exits 0', async () => {
    const root = await tempRoot()
    const { cli, url } = await start(root)
    const location = new URL(await startUpload(url, 'big/app'))
    location.searchParams.set('digest', digest)
    let signalledAt = 0
    // About 3 s of upload; SIGTERM once a fifth of it is in.
    const push = streamUpload(location.href, {
      method: 'PUT',
      toChunk: BLOB_MIB,
      declareLength: true,
      delayPerMiB: 12,
      onProgress: (mib) => {
        if (mib === 50) {
          signalledAt = performance.now()
          cli.child.kill('SIGTERM')
        }
      },
    }).then((answer) => ({ ...answer, at: performance.now() }))

    await new Promise((resolve) => setTimeout(resolve, 100))
    while (signalledAt === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 100))
    await expect(fetch(`${url}/v2/`)).rejects.toThrow()

    const answer = await push
    const exit = await cli.exited
    expect(answer.status).toBe(201)
    expect(exit.code).toBe(0)
    expect(exit.at).toBeGreaterThanOrEqual(answer.at)
    expect(answer.at - signalledAt).toBeGreaterThan(1000)
    expect(cli.entries().find((e) => e['msg'] === 'wharf registry stopped')).toMatchObject({ cutRequests: 0 })

    const again = await start(root)
    expect(await servedDigest(`${again.url}/v2/big/app/blobs/${digest}`)).toBe(digest)
  })

  it('when the drain timeout passes first: exits 0 at the timeout, nothing partial is visible, and the upload resumes', async () => {
    const root = await tempRoot()
    const { cli, url } = await start(root, { REGISTRY_HTTP_DRAINTIMEOUT: '1s' })
    const upload = await startUpload(url, 'cut/app')
    let signalledAt = 0
    // About 8 s of upload at this pace: far more than the 1 s drain timeout.
    const patch = streamUpload(upload, {
      method: 'PATCH',
      toChunk: BLOB_MIB,
      delayPerMiB: 30,
      onProgress: (mib) => {
        if (mib === 40) {
          signalledAt = performance.now()
          cli.child.kill('SIGTERM')
        }
      },
    })
    const outcome = await patch.then(
      () => 'answered',
      () => 'cut',
    )
    const exit = await cli.exited
    expect(outcome).toBe('cut')
    expect(exit.code).toBe(0)
    // It waited for the drain timeout (a lower bound, which a slow machine cannot break), and did
    // not wait for the upload to finish: the PATCH was cut, not answered.
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(900)
    expect(cli.entries().find((e) => e['msg'] === 'drain timeout reached: cutting the requests still in flight')).toMatchObject({ requests: 1 })

    const again = await start(root)
    expect((await fetch(`${again.url}/v2/cut/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404)
    const resumeUrl = upload.replace(url, again.url)
    const status = await fetch(resumeUrl)
    expect(status.status).toBe(204)
    const range = status.headers.get('range')!
    const size = Number(range.split('-')[1]) + (range === '0-0' ? 0 : 1)
    expect(size % MIB).toBe(0)
    const resumed = await streamUpload(resumeUrl, { method: 'PATCH', fromChunk: size / MIB, toChunk: BLOB_MIB, headers: { 'Content-Range': `${size}-${BLOB_MIB * MIB - 1}` } })
    expect(resumed.status).toBe(202)
    const finish = new URL(String(resumed.headers['location']), again.url)
    finish.searchParams.set('digest', digest)
    expect((await fetch(finish, { method: 'PUT' })).status).toBe(201)
    expect(await servedDigest(`${again.url}/v2/cut/app/blobs/${digest}`)).toBe(digest)
  })

  it('an idle keep-alive connection does not hold the exit back', async () => {
    const { cli, url } = await start(await tempRoot())
    const agent = new Agent({ keepAlive: true })
    await new Promise<void>((resolve, reject) => {
      request(`${url}/v2/`, { agent }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
        .on('error', reject)
        .end()
    })
    const signalledAt = performance.now()
    cli.child.kill('SIGINT')
    const exit = await cli.exited
    agent.destroy()
    expect(exit.code).toBe(0)
    // Without closing idle connections it would wait for Node's keep-alive timer (5 s) or the drain
    // timeout (30 s): the exit must come before the first of them, however slow the machine.
    expect(exit.at - signalledAt).toBeLessThan(5000)
    expect(cli.entries().some((e) => e['msg'] === 'drain timeout reached: cutting the requests still in flight')).toBe(false)
  })
})
