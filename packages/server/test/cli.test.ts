import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureCliBuilt, spawnCli, type CliProcess } from './helpers/cli-process.js'
import { createTempDir } from './helpers/in-process.js'
import { pushBlob, pushImage } from './helpers/registry-client.js'

let dir: { path: string; remove(): Promise<void> }
const running: CliProcess[] = []

beforeAll(async () => {
  await ensureCliBuilt()
  dir = await createTempDir()
}, 300_000)
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGTERM')
    await cli.exited
  }
})
afterAll(() => dir.remove())

function spawn(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): CliProcess {
  const cli = spawnCli(args, options)
  running.push(cli)
  return cli
}

async function config(name: string, yaml: string): Promise<string> {
  const path = join(dir.path, name)
  await writeFile(path, yaml)
  return path
}

describe('the wharf command', () => {
  it('`wharf serve config.yml` starts from a registry:2 file, with environment variables winning over it', async () => {
    const file = await config('serve.yml', `
version: 0.1
log: { level: info, fields: { service: registry } }
storage:
  filesystem: { rootdirectory: ${dir.path}/from-file }
  delete: { enabled: false }
http:
  addr: 127.0.0.1:1
`)
    const cli = spawn(['serve', file], { env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: `${dir.path}/from-env` } })
    const url = await cli.listening()
    const digest = await pushBlob(url, 'app', new TextEncoder().encode('hello'))
    expect(await readdir(join(dir.path, 'from-env'))).toContain('blobs')
    expect((await fetch(`${url}/v2/app/blobs/${digest}`, { method: 'DELETE' })).status).toBe(405)
    const listening = cli.entries().find((e) => e['msg'] === 'wharf registry listening')!
    expect(listening).toMatchObject({ service: 'registry', storage: 'filesystem', deleteEnabled: false, level: 'info' })
  })

  it('`wharf config.yml` and REGISTRY_CONFIGURATION_PATH work too; unsupported keys are named in one warning', async () => {
    const file = await config('plain.yml', `
http: { addr: 127.0.0.1:0, secret: whatever }
storage: { inmemory: }
redis: { addr: localhost:6379 }
compatibility: { schema1: { enabled: true } }
`)
    for (const cli of [spawn([file]), spawn([], { env: { REGISTRY_CONFIGURATION_PATH: file } })]) {
      await cli.listening()
      const warnings = cli.entries().filter((e) => e['level'] === 'warn')
      expect(warnings.map((w) => w['msg'])).toEqual(['configuration keys wharf does not support were ignored: redis.addr, compatibility.schema1.enabled'])
    }
  })

  it('with no configuration at all, stores in ./data of the working directory with deletes enabled', async () => {
    const cwd = join(dir.path, 'cwd')
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd))
    const cli = spawn([], { cwd, env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0' } })
    const url = await cli.listening()
    const digest = await pushBlob(url, 'app', new TextEncoder().encode('hello'))
    expect(await readdir(join(cwd, 'data'))).toContain('blobs')
    expect((await fetch(`${url}/v2/app/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202)
  })

  // The command loads prom-client and the UI only when used (issue 16): both must still work then.
  it('serves Prometheus metrics counted since the start, and the UI when first opened after a push', async () => {
    const file = await config('metrics.yml', `
storage: { inmemory: }
http:
  addr: 127.0.0.1:0
  debug: { addr: 127.0.0.1:0, prometheus: { enabled: true, path: /metrics } }
`)
    const cli = spawn(['serve', file])
    const url = await cli.listening()
    await pushImage(url, 'team/app', 'v1')
    const { metricsUrl } = cli.entries().find((e) => e['msg'] === 'wharf registry listening') as { metricsUrl: string }
    const metrics = await (await fetch(metricsUrl)).text()
    expect(metrics).toContain('wharf_http_requests_total{method="PUT",route="manifest",code="201"} 1')
    expect(metrics).toContain('process_resident_memory_bytes')
    expect(await (await fetch(`${url}/ui/`)).text()).toContain('/ui/assets/app.js')
    expect(await (await fetch(`${url}/ui/api/summary`)).json()).toMatchObject({ repositories: 1, lastPush: expect.any(String) })
  })

  it('a malformed value stops the start with exit code 2 and a message naming the key and the expected form', async () => {
    const file = await config('bad.yml', 'storage:\n  maintenance:\n    uploadpurging:\n      age: a week\n')
    const cli = spawn(['serve', file])
    expect((await cli.exited).code).toBe(2)
    expect(cli.lines.join('\n')).toContain('wharf: configuration error: storage.maintenance.uploadpurging.age: expected a duration of at least 1ms such as "10s", "1m", "168h" or "250ms", got "a week"')

    const fromEnv = spawn([], { env: { REGISTRY_HTTP_ADDR: 'localhost' } })
    expect((await fromEnv.exited).code).toBe(2)
    expect(fromEnv.lines.join('\n')).toContain('http.addr (from REGISTRY_HTTP_ADDR): expected host:port')

    const missing = spawn(['serve', join(dir.path, 'nope.yml')])
    expect((await missing.exited).code).toBe(2)
    expect(missing.lines.join('\n')).toContain(`cannot read the configuration file ${join(dir.path, 'nope.yml')}: ENOENT`)
  })

  it('a port already in use fails with exit code 1', async () => {
    const first = spawn([], { env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE: 'inmemory' } })
    const port = new URL(await first.listening()).port
    const second = spawn([], { env: { REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_STORAGE: 'inmemory' } })
    expect((await second.exited).code).toBe(1)
    expect(second.lines.join('\n')).toContain('EADDRINUSE')
  })

  it('answers --help and --version, and refuses unknown options with exit code 2', async () => {
    const help = spawn(['--help'])
    expect((await help.exited).code).toBe(0)
    expect(help.lines[0]).toBe('Usage: wharf [serve] [config.yml]')
    const version = spawn(['--version'])
    expect((await version.exited).code).toBe(0)
    expect(version.lines[0]).toMatch(/^\d+\.\d+\.\d+/)
    for (const args of [['--bogus'], ['serve', '--dry-run']]) {
      const cli = spawn(args)
      expect((await cli.exited).code).toBe(2)
    }
  })
})
