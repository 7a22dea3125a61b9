/**
 * Retention in the standalone server (`policies.retention`, `policies.pullflushinterval`): read
 * from YAML and REGISTRY_ variables, and handed to the registry the server runs.
 */
import { parseConfig, toConfigDocument } from '@wharf/server'
import { afterEach, describe, expect, it } from 'vitest'
import { startFromYaml, type TestServer } from './helpers/in-process.js'
import { pushImage } from './helpers/registry-client.js'

const servers: TestServer[] = []
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close()
})

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(`storage: { inmemory: }\n${yaml}`), { env }).config.policies

describe('policies.retention configuration', () => {
  // Invariant: every key maps to core's rule (durations in ms), defaults apply, both env forms work.
  it('reads rules from YAML and from REGISTRY_POLICIES_RETENTION', () => {
    const fromYaml = parse(`policies:
  retention:
    - { repositories: "ci/**", keeplast: 10, keeptags: [v*, latest], untaggedafter: 168h, keeppulledwithin: 720h }
    - { repositories: "**", untaggedafter: 24h }
  pullflushinterval: 30s`)
    expect(fromYaml.retention).toEqual([
      { repositories: 'ci/**', keepLast: 10, keepTags: ['v*', 'latest'], untaggedAfterMs: 168 * 3_600_000, keepPulledWithinMs: 720 * 3_600_000 },
      { repositories: '**', untaggedAfterMs: 24 * 3_600_000 },
    ])
    expect(fromYaml.pullflushinterval).toBe(30_000)
    expect(parse('').pullflushinterval).toBe(60_000)
    expect(parse('', { REGISTRY_POLICIES_RETENTION: '[{repositories: "a/*", keeplast: 3}]' }).retention).toEqual([{ repositories: 'a/*', keepLast: 3 }])
    expect(parse('policies: { retention: [{ repositories: "a", keeplast: 1 }] }', { REGISTRY_POLICIES_RETENTION_0_KEEPLAST: '5' }).retention).toEqual([{ repositories: 'a', keepLast: 5 }])
  })

  // Invariant: a rule that cannot be applied as written stops the start, naming the key.
  it('refuses unusable rules', () => {
    expect(() => parse('policies: { retention: [{ repositories: "a", keeplast: -1 }] }')).toThrow(/policies\.retention\[0\]\.keeplast/)
    expect(() => parse('policies: { retention: [{ repositories: "a", untaggedafter: "a week" }] }')).toThrow(/policies\.retention\[0\]\.untaggedafter/)
    expect(() => parse('policies: { retention: [{ repositories: "a", keeptags: ["v/1"] }] }')).toThrow(/policies\.retention\[0\]\.keeptags/)
    expect(() => parse('policies: { retention: [{ repositories: "a" }] }')).toThrow(/at least one of keeplast/)
  })

  // Invariant: the server's registry applies the configured rules (here: keep only v*).
  it('hands the rules to the registry the server runs', async () => {
    const server = await startFromYaml(`storage: { inmemory: }
policies:
  retention:
    - { repositories: "ci/**", keeptags: [v*] }`)
    servers.push(server)
    await pushImage(server.url, 'ci/app', 'v1', new TextEncoder().encode('one'))
    await pushImage(server.url, 'ci/app', 'build-7', new TextEncoder().encode('two'))
    const report = await server.running.registry.applyRetention({ dryRun: true })
    expect(report.repositories.map((r) => ({ repository: r.repository, tags: r.tags.map((t) => t.tag) }))).toEqual([{ repository: 'ci/app', tags: ['build-7'] }])
  })
})
