import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig, toConfigDocument, toServerOptions } from '@wharf/server'

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(yaml), { env })

describe('proxy configuration', () => {
  it('takes registry:2 proxy keys from REGISTRY_PROXY_* alone: one upstream mirroring every repository', async () => {
    const { config, unsupportedKeys } = parse('storage: { inmemory: }\n', {
      REGISTRY_PROXY_REMOTEURL: 'http://127.0.0.1:5001',
      REGISTRY_PROXY_USERNAME: 'u',
      REGISTRY_PROXY_PASSWORD: 'p',
      REGISTRY_PROXY_TTL: '168h',
    })
    expect(unsupportedKeys).toEqual([])
    expect(config.proxy).toEqual({ upstreams: [{ remoteurl: 'http://127.0.0.1:5001', username: 'u', password: 'p', prefix: '' }], ttl: 168 * 3_600_000, pushes: 'none', timeout: 30_000, idletimeout: 30_000 })
    expect((await toServerOptions(config)).mirror).toBeDefined()
  })

  it('reads many upstreams with host, prefix and ttl, and the push setting', () => {
    const { config } = parse(`
storage: { inmemory: }
proxy:
  pushes: unmirrored
  maxblobsize: 1048576
  upstreams:
    - remoteurl: https://registry-1.docker.io
      host: docker.io
      ttl: 1m
    - remoteurl: https://ghcr.io
      prefix: gh
`)
    expect(config.proxy?.pushes).toBe('unmirrored')
    expect(config.proxy?.maxblobsize).toBe(1048576)
    expect(config.proxy?.upstreams).toEqual([{ remoteurl: 'https://registry-1.docker.io', host: 'docker.io', ttl: 60_000 }, { remoteurl: 'https://ghcr.io', prefix: 'gh' }])
  })

  it('is absent without an upstream, and refuses what it cannot use', () => {
    expect(parse('storage: { inmemory: }\n').config.proxy).toBeUndefined()
    expect(() => parse('storage: { inmemory: }\nproxy: { remoteurl: ftp://x }\n')).toThrow(ConfigError)
    expect(() => parse('storage: { inmemory: }\nproxy: { remoteurl: http://x, pushes: all }\n')).toThrow(ConfigError)
  })
})
