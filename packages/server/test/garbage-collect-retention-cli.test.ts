import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureCliBuilt, spawnCli } from './helpers/cli-process.js'
import { createTempDir, startFromYaml } from './helpers/in-process.js'
import { pushImage } from './helpers/registry-client.js'

// `wharf garbage-collect` (dist/cli.js) applies the configuration's retention rules first, as the
// scheduled collection does, sparing immutable tags.
let dir: { path: string; remove(): Promise<void> }

beforeAll(async () => {
  await ensureCliBuilt()
  dir = await createTempDir('wharf-gc-retention-cli-')
}, 300_000)
afterAll(() => dir.remove())

async function garbageCollect(...args: string[]): Promise<{ code: number | null; summary?: Record<string, unknown> }> {
  const cli = spawnCli(['garbage-collect', ...args])
  const { code } = await cli.exited
  return { code, summary: cli.entries().find((e) => e['event'] === 'summary') }
}

describe('wharf garbage-collect with policies.retention', () => {
  // Invariant: the CLI deletes what the retention rules delete (never an immutable tag), a dry run
  // deletes nothing, and the collection in the same run removes the manifest retention untagged.
  it('applies the retention rules before collecting; a dry run only reports them', async () => {
    const root = join(dir.path, 'root')
    const config = join(dir.path, 'config.yml')
    const yaml = `version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: ${root} }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
health: { storagedriver: { enabled: false } }
policies:
  retention:
    - { repositories: app, keeplast: 1 }
  immutabletags:
    - { repositories: app, tags: [v1] }
`
    await writeFile(config, yaml)
    const server = await startFromYaml(yaml)
    try {
      const pushed = []
      for (const tag of ['v1', 'v2', 'v3']) pushed.push(await pushImage(server.url, 'app', tag))
      const tags = async () => ((await (await fetch(`${server.url}/v2/app/tags/list`)).json()) as { tags: string[] }).tags

      const dry = await garbageCollect(config, '--dry-run', '--delete-untagged', '--grace', '0s')
      expect(dry.code).toBe(0)
      expect(dry.summary).toMatchObject({ dryRun: true, retention: { tagsDeleted: 1 } })
      expect(await tags()).toEqual(['v1', 'v2', 'v3'])

      const run = await garbageCollect(config, '--delete-untagged', '--grace', '0s')
      expect(run.code).toBe(0)
      expect(run.summary).toMatchObject({ dryRun: false, retention: { tagsDeleted: 1 }, manifestsDeleted: 1 })
      expect(await tags()).toEqual(['v1', 'v3'])
      expect((await fetch(`${server.url}/v2/app/manifests/${pushed[1]!.manifestDigest}`, { method: 'HEAD' })).status).toBe(404)
      for (const i of [0, 2]) expect((await fetch(`${server.url}/v2/app/manifests/${pushed[i]!.manifestDigest}`, { method: 'HEAD' })).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
