import { join } from 'node:path'
import type { GarbageCollectionEvent } from '@wharf/core'
import { parseConfig, toConfigDocument } from '@wharf/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTempDir, startFromYaml, type TestServer } from './helpers/in-process.js'
import { OCI_MANIFEST, pushImage, waitFor, type PushedImage } from './helpers/registry-client.js'

let dir: { path: string; remove(): Promise<void> }
let server: TestServer | undefined
beforeEach(async () => {
  dir = await createTempDir('wharf-gc-schedule-')
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await dir.remove()
})

/**
 * Pushes two images and deletes one with a server that does not collect, so that the collecting
 * server below starts on a storage that nothing writes to: its grace of 0s is then safe.
 */
async function storageWithGarbage(root: string): Promise<{ kept: PushedImage; gone: PushedImage }> {
  const writer = await startFromYaml(`storage: { filesystem: { rootdirectory: ${root} }, delete: { enabled: true } }\n`)
  try {
    const kept = await pushImage(writer.url, 'app', 'v1', new TextEncoder().encode('kept layer'))
    const gone = await pushImage(writer.url, 'app', 'v2', new TextEncoder().encode('layer to collect'))
    expect((await fetch(`${writer.url}/v2/app/manifests/${gone.manifestDigest}`, { method: 'DELETE' })).status).toBe(202)
    return { kept, gone }
  } finally {
    await writer.close()
  }
}

const collectingYaml = (root: string, dryrun: boolean) => `
storage:
  filesystem: { rootdirectory: ${root} }
  maintenance:
    garbagecollect: { enabled: true, grace: 0s, deleteuntagged: true, dryrun: ${dryrun} }
http:
  debug: { addr: 127.0.0.1:0, prometheus: { enabled: true } }
`

/** The value of one sample of the Prometheus text, 0 when absent. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line ? Number(line.slice(name.length + 1)) : 0
}

describe('scheduled garbage collection (storage.maintenance.garbagecollect)', () => {
  it('collects every interval (set here through REGISTRY_… variables) and reports to the log, the metrics and a gc event', async () => {
    const root = join(dir.path, 'root')
    const { kept, gone } = await storageWithGarbage(root)
    server = await startFromYaml(collectingYaml(root, false), { env: { REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_INTERVAL: '200ms' } })
    const events: GarbageCollectionEvent[] = []
    server.running.registry.events.on('gc', (event) => events.push(event))

    const removing = () => server!.logs.find('garbage collection: removed').filter((l) => (l['gc'] as { blobsDeleted: number }).blobsDeleted > 0)
    await waitFor(() => removing().length > 0, 20_000, 'a collection that removes the deleted image')
    const line = removing()[0]!
    expect(line).toMatchObject({ level: 'info', graceMs: 0, deleteUntagged: true, gc: { dryRun: false, repositories: 1 } })
    expect(line['msg']).toMatch(/^garbage collection: removed \d+ object\(s\), .*; 1 repositories in /)

    // Later runs find nothing more; the interval keeps them coming.
    await waitFor(() => server!.logs.find('garbage collection: removed 0 object(s)').length > 0, 20_000, 'a second, empty collection')
    // The event carries the report the log line shows (the first run may precede the subscription).
    expect(events.length).toBeGreaterThanOrEqual(1)
    expect(events[0]).toMatchObject({ action: 'gc', timestamp: expect.any(Date) })
    await waitFor(() => server!.logs.find('garbage collection').some((l) => JSON.stringify(l['gc']) === JSON.stringify(events[0]!.report)), 5000, 'the log line of the event')

    const metrics = await (await fetch(`${server.running.debugUrl}/metrics`)).text()
    expect(sample(metrics, 'wharf_gc_runs_total{result="success"}')).toBeGreaterThanOrEqual(2)
    expect(sample(metrics, 'wharf_gc_deleted_objects_total{kind="blob"}')).toBe((line['gc'] as { blobsDeleted: number }).blobsDeleted)
    expect(sample(metrics, 'wharf_gc_reclaimed_bytes_total')).toBeGreaterThanOrEqual('layer to collect'.length)
    expect(sample(metrics, 'wharf_gc_last_run_timestamp_seconds')).toBeGreaterThan(0)
    expect(sample(metrics, 'wharf_gc_duration_seconds_count')).toBeGreaterThanOrEqual(2)

    expect((await fetch(`${server.url}/v2/app/blobs/${gone.layerDigest}`)).status).toBe(404)
    const manifest = await fetch(`${server.url}/v2/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST } })
    expect(await manifest.text()).toBe(kept.manifest)
    expect(await (await fetch(`${server.url}/v2/app/blobs/${kept.layerDigest}`)).text()).toBe('kept layer')
  })

  it('with dryrun only logs what would go, and counts the run but no removal', async () => {
    const root = join(dir.path, 'root')
    const { gone } = await storageWithGarbage(root)
    server = await startFromYaml(collectingYaml(root, true).replace('grace: 0s', 'grace: 0s, interval: 200ms'))
    await waitFor(() => server!.logs.find('garbage collection (dry run): would remove').length > 0, 20_000, 'a dry-run collection')
    const line = server.logs.find('garbage collection (dry run)')[0]!
    expect((line['gc'] as { blobsDeleted: number; dryRun: boolean })).toMatchObject({ dryRun: true })
    expect((line['gc'] as { blobsDeleted: number }).blobsDeleted).toBeGreaterThanOrEqual(2)
    expect((await fetch(`${server.url}/v2/app/blobs/${gone.layerDigest}`)).status).toBe(200)
    const metrics = await (await fetch(`${server.running.debugUrl}/metrics`)).text()
    expect(sample(metrics, 'wharf_gc_runs_total{result="success"}')).toBeGreaterThanOrEqual(1)
    expect(sample(metrics, 'wharf_gc_reclaimed_bytes_total')).toBe(0)
  })
})

describe('storage.maintenance.garbagecollect keys', () => {
  const read = (yaml: string, env: Record<string, string> = {}) => parseConfig(toConfigDocument(yaml), { env }).config.storage.maintenance.garbagecollect

  it('defaults to off, every 24h, the online grace of 1h, tagged only, for real', () => {
    expect(read('storage: { inmemory: }\n')).toEqual({ enabled: false, interval: 86_400_000, grace: 3_600_000, deleteuntagged: false, dryrun: false })
  })

  it('reads YAML and REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_* variables, the variables winning', () => {
    const yaml = 'storage: { inmemory: , maintenance: { garbagecollect: { enabled: true, interval: 6h, grace: 2h } } }\n'
    expect(read(yaml, { REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_GRACE: '30m', REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_DELETEUNTAGGED: 'true' })).toEqual({
      enabled: true,
      interval: 6 * 3_600_000,
      grace: 30 * 60_000,
      deleteuntagged: true,
      dryrun: false,
    })
  })

  it('names the key and the expected form for a bad value', () => {
    expect(() => read('storage: { inmemory: , maintenance: { garbagecollect: { interval: 0s } } }\n')).toThrow(/storage\.maintenance\.garbagecollect\.interval.*at least 100ms/)
    expect(() => read('storage: { inmemory: }\n', { REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_GRACE: 'soon' })).toThrow(/REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_GRACE/)
  })
})
