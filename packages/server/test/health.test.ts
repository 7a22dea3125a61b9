import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { waitFor } from './helpers/registry-client.js'

let dir: { path: string; remove(): Promise<void> }
let server: TestServer | undefined

beforeEach(async () => {
  dir = await createTempDir()
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await dir.remove()
})

const status = async (url: string) => {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as unknown }
}

describe('storage health', () => {
  it('turns 503 when the storage root stops being writable, and back to 200 when it recovers', async () => {
    const root = join(dir.path, 'root')
    server = await startFromYaml(`
storage:
  filesystem: { rootdirectory: ${root} }
http:
  debug: { addr: 127.0.0.1:0 }
health:
  storagedriver: { enabled: true, interval: 50ms, threshold: 2 }
`)
    const { url } = server
    const debugUrl = server.running.debugUrl!
    await waitFor(async () => (await status(`${url}/debug/health`)).status === 200, 5000, 'healthy at start')
    expect(await status(`${url}/healthz`)).toEqual({ status: 200, body: {} })
    expect((await fetch(`${url}/v2/`)).status).toBe(200)

    // Tests run as root, for whom chmod does not stop writes: put a file where the directory was.
    await rename(root, `${root}.away`)
    await writeFile(root, 'not a directory')
    await waitFor(async () => (await status(`${url}/debug/health`)).status === 503, 5000, '503 after the root broke')
    expect(await status(`${url}/debug/health`)).toEqual({ status: 503, body: { storagedriver_filesystem: 'storage is unreachable or not writable' } })
    expect((await status(`${debugUrl}/debug/health`)).status).toBe(503)
    expect((await status(`${url}/healthz`)).status).toBe(503)
    // As registry:2's health handler: the API answers 503 while the check fails.
    const api = await fetch(`${url}/v2/`)
    expect(api.status).toBe(503)
    expect(((await api.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAVAILABLE')
    expect(server.logs.find('storage health check failed').length).toBeGreaterThanOrEqual(2)
    const scraped = await server.running.metrics.registry.getSingleMetricAsString('wharf_storage_healthy')
    expect(scraped).toContain('wharf_storage_healthy{check="storagedriver_filesystem"} 0')

    await rm(root)
    await rename(`${root}.away`, root)
    await waitFor(async () => (await status(`${url}/debug/health`)).status === 200, 5000, '200 after recovery')
    expect((await fetch(`${url}/v2/`)).status).toBe(200)
    expect(server.logs.find('storage health check recovered')).toHaveLength(1)
  })

  it('a single failed probe below the threshold does not turn the health red', async () => {
    const root = join(dir.path, 'root')
    await mkdir(root)
    let failNext = 0
    server = await startFromYaml(`
storage:
  filesystem: { rootdirectory: ${root} }
health:
  storagedriver: { enabled: true, interval: 30ms, threshold: 3 }
`, {
      override: (options) => ({
        ...options,
        storage: Object.assign(Object.create(options.storage), {
          put: async (...args: Parameters<typeof options.storage.put>) => {
            if (args[0] === 'health/probe' && failNext > 0) {
              failNext--
              throw new Error('flaky')
            }
            return options.storage.put(...args)
          },
        }),
      }),
    })
    failNext = 2
    await waitFor(() => failNext === 0, 5000, 'two failed probes')
    expect((await status(`${server.url}/debug/health`)).status).toBe(200)
  })

  it('closes only once a storage probe in flight has settled, so nothing is written after close', async () => {
    // Invariant: when close() resolves, no probe write is still running against the storage (a CI run
    // removed a test's directory right after close and met the probe's file being written).
    let entered!: () => void
    const probing = new Promise<void>((resolve) => (entered = resolve))
    let writing = 0
    server = await startFromYaml(`storage: { inmemory: }\nhealth: { storagedriver: { enabled: true, interval: 1s, threshold: 3 } }\n`, {
      override: (options) => ({
        ...options,
        storage: Object.assign(Object.create(options.storage), {
          put: async (...args: Parameters<typeof options.storage.put>) => {
            if (args[0] !== 'health/probe') return options.storage.put(...args)
            // A stalled write: it ends only when the probe gives up on it (its signal aborts).
            writing++
            entered()
            const signal = args[2]?.signal
            try {
              await new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }))
            } finally {
              writing--
            }
          },
        }),
      }),
    })
    await probing
    const closing = server.close()
    server = undefined
    await closing
    expect(writing).toBe(0)
  })

  it('with health.storagedriver.enabled false, reports healthy without probing', async () => {
    server = await startFromYaml(`storage: { inmemory: }\nhealth: { storagedriver: { enabled: false } }\n`)
    expect(await status(`${server.url}/debug/health`)).toEqual({ status: 200, body: {} })
    expect(await server.running.registry.storage.stat('health/probe')).toBeUndefined()
  })
})
