import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig, toConfigDocument } from '@wharf/server'
import { ensureCliBuilt, spawnCli, type CliProcess } from './helpers/cli-process.js'
import { createTempDir } from './helpers/in-process.js'
import { pushBlob } from './helpers/registry-client.js'

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(yaml), { env })
const failure = (yaml: string, env: Record<string, string> = {}) => {
  try {
    parse(yaml, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('unknown configuration keys', () => {
  it('are errors naming the closest known key', () => {
    expect(failure('http:\n  adr: 127.0.0.1:5001\n')).toBe('http.adr: unknown key; did you mean `http.addr`?')
    expect(failure('storage:\n  delete:\n    enabeld: true\n')).toBe('storage.delete.enabeld: unknown key; did you mean `storage.delete.enabled`?')
    expect(failure('delete:\n  enabled: true\n')).toBe('delete.enabled: unknown key; did you mean `storage.delete.enabled`?')
    expect(failure('notifications:\n  endpoints:\n    - { name: a, url: "http://127.0.0.1:1/", timout: 1s }\n'))
      .toBe('notifications.endpoints[0].timout: unknown key; did you mean `notifications.endpoints[0].timeout`?')
  })

  it('in REGISTRY_ form name the variable and the one to use', () => {
    expect(failure('', { REGISTRY_HTTP_ADR: ':5000' })).toBe('http.adr (from REGISTRY_HTTP_ADR): unknown key; did you mean `http.addr` (REGISTRY_HTTP_ADDR)?')
    expect(failure('', { REGISTRY_STORAGE_DELETE_ENABELD: 'true' })).toContain('did you mean `storage.delete.enabled` (REGISTRY_STORAGE_DELETE_ENABLED)?')
  })

  it('are all named in one error; a key far from every known one gets no guess', () => {
    expect(failure('http:\n  adr: ":5000"\nzzzqqq: 1\n')).toBe('http.adr: unknown key; did you mean `http.addr`?; zzzqqq: unknown key')
  })

  it('registry:2 keys wharf accepts without effect, or only warns about, still load', () => {
    const { warnings, unsupportedKeys } = parse(`
version: 0.1
http: { addr: ":5000", secret: s, relativeurls: true, http2: { disabled: true }, draintimeout: 10s }
storage: { filesystem: { rootdirectory: /d, maxthreads: 100 }, cache: { blobdescriptor: inmemory } }
redis: { addr: "localhost:6379" }
middleware: { registry: [{ name: cloudfront }] }
`, { REGISTRY_PORT: 'tcp://10.0.0.1:5000', REGISTRY_PORT_5000_TCP_ADDR: '10.0.0.1', REGISTRY_SERVICE_HOST: '10.0.0.1' })
    // REGISTRY_PORT is Kubernetes' service link, not a key; REGISTRY_PORT_5000_TCP_ADDR makes it a section.
    expect(unsupportedKeys).toEqual(['redis.addr', 'middleware.registry[0].name', 'port[5000].tcp.addr', 'service.host'])
    expect(unsupportedKeys).not.toContain('http.secret')
    expect(warnings[0]).toMatch(/^configuration keys wharf does not support were ignored: /)
  })
})

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

function spawn(args: string[], env: Record<string, string> = {}): CliProcess {
  const cli = spawnCli(args, { env })
  running.push(cli)
  return cli
}

async function file(name: string, yaml: string): Promise<string> {
  const path = join(dir.path, name)
  await writeFile(path, yaml)
  return path
}

describe('the wharf command and unknown keys', () => {
  it('a typo stops the start with exit code 2 and a suggestion, from the file or the environment', async () => {
    const typo = spawn(['serve', await file('typo.yml', 'http:\n  adr: 127.0.0.1:0\nstorage: { inmemory: }\n')])
    expect((await typo.exited).code).toBe(2)
    expect(typo.lines.join('\n')).toContain('wharf: configuration error: http.adr: unknown key; did you mean `http.addr`?')

    const fromEnv = spawn([], { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_DELETE_ENABELD: 'true' })
    expect((await fromEnv.exited).code).toBe(2)
    expect(fromEnv.lines.join('\n')).toContain('storage.delete.enabeld (from REGISTRY_STORAGE_DELETE_ENABELD): unknown key; did you mean `storage.delete.enabled` (REGISTRY_STORAGE_DELETE_ENABLED)?')
  })

  it('a registry:2 file with keys wharf does not honour still serves on a real port', async () => {
    const path = await file('registry2.yml', 'version: 0.1\nhttp: { addr: 127.0.0.1:0, secret: s }\nstorage: { inmemory: }\nredis: { addr: "localhost:6379" }\n')
    const cli = spawn([path], { REGISTRY_PORT: 'tcp://10.0.0.1:5000' })
    const url = await cli.listening()
    expect(await pushBlob(url, 'app', new TextEncoder().encode('hi'))).toMatch(/^sha256:/)
  })
})

describe('wharf check-config', () => {
  const yaml = `
version: 0.1
http: { addr: 127.0.0.1:5099 }
storage:
  s3: { bucket: b, region: r, accesskey: AKIAEXAMPLE, secretkey: very-secret-key }
notifications:
  endpoints:
    - { name: hook, url: "https://hooks.example.com/T0/secret-token?x=1", headers: { Authorization: [Bearer tok-123] } }
redis: { addr: "localhost:6379" }
`

  it('prints the effective configuration with secrets redacted, exits 0, and listens nowhere', async () => {
    const path = await file('check.yml', yaml)
    for (const args of [['check-config', path], ['config', 'check', path], ['serve', '--check', path], ['--check', path]]) {
      const cli = spawn(args)
      expect((await cli.exited).code).toBe(0)
      const text = cli.lines.join('\n')
      expect(text).toContain('addr: 127.0.0.1:5099')
      expect(text).toContain('bucket: b')
      expect(text).toContain('secretkey: (redacted)')
      expect(text).toContain('accesskey: (redacted)')
      expect(text).toContain('url: https://hooks.example.com/(redacted)')
      expect(text).not.toMatch(/very-secret-key|AKIAEXAMPLE|secret-token|tok-123/)
      expect(text).toContain('wharf: warning: configuration keys wharf does not support were ignored: redis.addr')
      expect(text).toContain('wharf: configuration OK')
      expect(text).not.toContain('listening')
    }
  })

  it('exits 2 with the error for a typo or a bad value', async () => {
    const typo = spawn(['check-config', await file('check-typo.yml', 'storage:\n  inmemory:\n  delete: { enabeld: true }\n')])
    expect((await typo.exited).code).toBe(2)
    expect(typo.lines.join('\n')).toContain('wharf: configuration error: storage.delete.enabeld: unknown key; did you mean `storage.delete.enabled`?')
    const bad = spawn(['check-config'], { REGISTRY_HTTP_ADDR: 'nowhere' })
    expect((await bad.exited).code).toBe(2)
    expect(bad.lines.join('\n')).toContain('http.addr (from REGISTRY_HTTP_ADDR): expected host:port')
  })
})
