import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ensureCliBuilt, spawnCli, type CliProcess } from './helpers/cli-process.js'
import { createTempDir } from './helpers/in-process.js'
import { pushImage } from './helpers/registry-client.js'

// `wharf garbage-collect` run as users run it: dist/cli.js, beside a live `wharf serve` on the same root.
let dir: { path: string; remove(): Promise<void> }
const running: CliProcess[] = []

beforeAll(async () => {
  await ensureCliBuilt()
  dir = await createTempDir('wharf-gc-cli-')
}, 300_000)
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGTERM')
    await cli.exited
  }
})
afterAll(() => dir.remove())

function spawn(args: string[]): CliProcess {
  const cli = spawnCli(args)
  running.push(cli)
  return cli
}

/** Runs `wharf garbage-collect ...args` to its end; its exit code, output lines and JSON summary. */
async function garbageCollect(...args: string[]): Promise<{ code: number | null; lines: string[]; summary?: Record<string, unknown> }> {
  const cli = spawn(['garbage-collect', ...args])
  const { code } = await cli.exited
  return { code, lines: cli.lines, summary: cli.entries().find((e) => e['event'] === 'summary') }
}

/** Every file under `root`: size, modification time and content hash, so a rewrite of the same bytes shows too. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name)
      if (entry.isDirectory()) await walk(child)
      else {
        const info = await stat(child)
        const hash = createHash('sha256').update(await readFile(child)).digest('hex')
        files.set(relative(root, child), `${info.size} ${info.mtimeMs} sha256:${hash}`)
      }
    }
  }
  await walk(root)
  return files
}

/** A config on a fresh root; no health probe and no purging: the tree changes only by what garbage-collect does. */
async function writeConfig(name: string): Promise<{ root: string; file: string }> {
  const root = join(dir.path, `${name}-root`)
  const file = join(dir.path, `${name}.yml`)
  await writeFile(file, `
storage:
  filesystem: { rootdirectory: ${root} }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
health: { storagedriver: { enabled: false } }
http: { addr: 127.0.0.1:0 }
`)
  return { root, file }
}

const sha256Hex = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const holding = (files: Map<string, string>, digest: string) => [...files.values()].some((value) => value.endsWith(digest))

describe('wharf garbage-collect', () => {
  it('in a dry run removes nothing and reports what would go; --grace 0s -m then removes it while the server runs, and the kept image pulls byte-identical with skopeo', async () => {
    const { root, file } = await writeConfig('root')
    const server = spawn(['serve', file])
    const url = await server.listening()
    const keptLayer = new TextEncoder().encode('the layer that stays '.repeat(100))
    const goneLayer = new TextEncoder().encode('the layer that goes '.repeat(300))
    const kept = await pushImage(url, 'team/app', 'v1', keptLayer)
    const gone = await pushImage(url, 'team/app', 'v2', goneLayer)
    expect((await fetch(`${url}/v2/team/app/manifests/${gone.manifestDigest}`, { method: 'DELETE' })).status).toBe(202)

    const before = await snapshot(root)
    expect(holding(before, gone.layerDigest)).toBe(true)
    const dry = await garbageCollect(file, '--dry-run', '--grace', '0s', '--delete-untagged')
    expect(dry.code).toBe(0)
    expect(await snapshot(root)).toEqual(before)
    expect(dry.summary).toMatchObject({ dryRun: true, repositories: 1 })
    // The deleted image's config and layer: links, records and bytes.
    expect(dry.summary!['blobsDeleted']).toBeGreaterThanOrEqual(2)
    expect(dry.summary!['linksDeleted']).toBeGreaterThanOrEqual(2)
    expect(dry.summary!['bytesReclaimed']).toBeGreaterThanOrEqual(goneLayer.length)
    expect(dry.lines.some((line) => line.includes('"event":"progress"'))).toBe(true)

    const real = await garbageCollect(file, '--grace', '0s', '-m')
    expect(real.code).toBe(0)
    const { dryRun: _dry, durationMs: _ms, ...removed } = real.summary!
    const { dryRun: _dry2, durationMs: _ms2, ...wouldRemove } = dry.summary!
    expect(removed).toEqual(wouldRemove)
    const after = await snapshot(root)
    expect(holding(after, gone.layerDigest)).toBe(false)
    expect(holding(after, kept.layerDigest)).toBe(true)
    expect((await fetch(`${url}/v2/team/app/blobs/${gone.layerDigest}`)).status).toBe(404)

    // `dir:` keeps the manifest as served (an OCI layout destination may rewrite it) and names blobs by digest.
    const out = join(dir.path, 'pulled')
    await promisify(execFile)('skopeo', ['copy', '--src-tls-verify=false', `docker://${new URL(url).host}/team/app:v1`, `dir:${out}`], { timeout: 60_000 })
    const blob = (digest: string) => readFile(join(out, digest.slice('sha256:'.length)))
    expect(Buffer.compare(await blob(kept.layerDigest), keptLayer)).toBe(0)
    expect(sha256Hex(await blob(kept.configDigest))).toBe(kept.configDigest)
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(kept.manifest)
    expect(server.child.exitCode).toBe(null)
  })

  it('after SIGKILL in the middle of a collection, removes nothing in use, and a second run finishes the job', async () => {
    // The invariant: a collection killed at any point leaves every tagged image whole (every step
    // is a compare-and-swap from versions it read), and the next run completes what it began.
    const { file } = await writeConfig('killed')
    const server = spawn(['serve', file])
    const url = await server.listening()
    const repositories = Array.from({ length: 40 }, (_, i) => `killed/app${String(i).padStart(2, '0')}`)
    const kept = new Map<string, Awaited<ReturnType<typeof pushImage>>>()
    const gone: string[] = []
    for (const repository of repositories) {
      kept.set(repository, await pushImage(url, repository, 'v1', new TextEncoder().encode(`kept ${repository}`)))
      const deleted = await pushImage(url, repository, 'v2', new TextEncoder().encode(`gone ${repository}`))
      expect((await fetch(`${url}/v2/${repository}/manifests/${deleted.manifestDigest}`, { method: 'DELETE' })).status).toBe(202)
      gone.push(`${repository}@${deleted.layerDigest}`)
    }

    const first = spawn(['garbage-collect', file, '--grace', '0s', '-m'])
    // Killed as soon as it reports its first repository: mid-way through the marking and sweeping.
    await vi.waitFor(() => expect(first.lines.some((line) => line.includes('"phase":"repositories"'))).toBe(true), { timeout: 120_000, interval: 10 })
    first.kill()
    expect((await first.exited).signal).toBe('SIGKILL')
    for (const [repository, image] of kept) {
      expect((await fetch(`${url}/v2/${repository}/manifests/v1`, { method: 'HEAD' })).status).toBe(200)
      expect((await fetch(`${url}/v2/${repository}/blobs/${image.layerDigest}`, { method: 'HEAD' })).status).toBe(200)
    }

    const second = await garbageCollect(file, '--grace', '0s', '-m')
    expect(second.code).toBe(0)
    for (const entry of gone) {
      const [repository, digest] = entry.split('@') as [string, string]
      expect((await fetch(`${url}/v2/${repository}/blobs/${digest}`)).status).toBe(404)
    }
    for (const [repository, image] of kept) {
      const layer = await fetch(`${url}/v2/${repository}/blobs/${image.layerDigest}`)
      expect(await layer.text()).toBe(`kept ${repository}`)
    }
    const third = await garbageCollect(file, '--grace', '0s', '-m', '--dry-run')
    expect(third.summary).toMatchObject({ manifestsDeleted: 0, linksDeleted: 0, blobsDeleted: 0, dataObjectsDeleted: 0 })
  })

  it('exits 1 with a message for a bad duration, a missing duration, an unknown flag, two files and an unreadable configuration', async () => {
    const cases: Array<[string[], string]> = [
      [['--grace', 'a week'], 'invalid --grace "a week": expected a duration such as 1h'],
      [['--grace=-5m'], 'invalid --grace "-5m"'],
      [['--grace'], '--grace needs a duration'],
      [['--bogus'], 'unknown flag --bogus'],
      [['--dry-run=maybe'], 'invalid --dry-run value "maybe"'],
      [['a.yml', 'b.yml'], 'expected at most one configuration file'],
      [[join(dir.path, 'missing.yml')], 'configuration error: cannot read the configuration file'],
    ]
    for (const [args, message] of cases) {
      const result = await garbageCollect(...args)
      expect({ args, code: result.code }).toEqual({ args, code: 1 })
      expect(result.lines.join('\n')).toContain(message)
    }
  })
})
