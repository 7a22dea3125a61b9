import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryDriver, migrateRegistry2, storageKeys, type MigrateProgress, type StorageDriver } from '@wharf/core'

const encoder = new TextEncoder()
const hex = (data: string) => createHash('sha256').update(data).digest('hex')
const REPOSITORIES = 230

/**
 * A registry:2 tree written as keys (as on S3 or Azure, where object names are registry:2's paths):
 * `REPOSITORIES` repositories `r000`…, each with one layer, one manifest and one tag.
 */
async function writeTree(driver: StorageDriver): Promise<void> {
  const v2 = 'docker/registry/v2'
  const blob = async (data: string) => {
    const h = hex(data)
    await driver.put(`${v2}/blobs/sha256/${h.slice(0, 2)}/${h}/data`, encoder.encode(data))
    return h
  }
  for (let r = 0; r < REPOSITORIES; r++) {
    const repo = `${v2}/repositories/r${String(r).padStart(3, '0')}`
    const layer = await blob(`layer ${r}`)
    const manifest = await blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${layer}`, size: 7 }, layers: [] }))
    await driver.put(`${repo}/_layers/sha256/${layer}/link`, encoder.encode(`sha256:${layer}`))
    await driver.put(`${repo}/_manifests/revisions/sha256/${manifest}/link`, encoder.encode(`sha256:${manifest}`))
    await driver.put(`${repo}/_manifests/tags/v1/current/link`, encoder.encode(`sha256:${manifest}`))
  }
}

describe('migrateRegistry2 interrupted and resumed (repositories migrated a few at a time)', () => {
  it('checkpoints only repositories whose predecessors are all done, and the resumed run completes the rest', async () => {
    const driver = createMemoryDriver()
    await writeTree(driver)
    const reference = createMemoryDriver()
    await writeTree(reference)
    const whole = await migrateRegistry2({ storage: reference })

    // Stop once the walk is well past the second checkpoint (every 100 repositories).
    const abort = new AbortController()
    const onProgress = (p: MigrateProgress) => {
      if (p.phase === 'repositories' && p.items > whole.blobs + 2 * 215) abort.abort(new Error('stop'))
    }
    await expect(migrateRegistry2({ storage: driver, onProgress, signal: abort.signal })).rejects.toThrow('stop')
    const record = JSON.parse(new TextDecoder().decode((await driver.get('migrations/registry2')).body)) as { state: string; lastRepository?: string }
    expect(record).toMatchObject({ state: 'running', lastRepository: expect.stringMatching(/^r\d{3}$/) })
    // Everything up to the checkpoint is migrated: no repository before it was left half done.
    const catalog = (await driver.list(storageKeys.catalogPrefix(), { limit: 1000 })).keys.map((k) => k.slice(storageKeys.catalogPrefix().length))
    for (let r = 0; r < REPOSITORIES; r++) {
      const name = `r${String(r).padStart(3, '0')}`
      if (name > record.lastRepository!) break
      expect(catalog).toContain(name)
      expect(await driver.stat(`repositories/${name}/_manifests/tags/v1`)).toBeDefined()
    }

    const resumed = await migrateRegistry2({ storage: driver })
    expect(resumed.resumedAfter).toBe(record.lastRepository)
    expect(resumed.repositories).toBe(REPOSITORIES - Number(record.lastRepository!.slice(1)) - 1)
    expect(await migrateRegistry2({ storage: driver })).toMatchObject({ written: 0, repositories: REPOSITORIES })
    // Same records as one uninterrupted run.
    const keysOf = async (d: StorageDriver) => (await d.list('', { limit: 100_000 })).keys.filter((k) => !k.startsWith('docker/') && !k.startsWith('migrations/'))
    expect(await keysOf(driver)).toEqual(await keysOf(reference))
    // The summary counts every object written, though repositories are migrated concurrently.
    expect(whole.written).toBe((await keysOf(reference)).length)
  })
})
