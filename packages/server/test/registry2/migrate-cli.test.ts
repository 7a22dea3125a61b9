import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureCliBuilt } from '../helpers/cli-process.js'

const sha = (data: string) => createHash('sha256').update(data).digest('hex')

/** A small registry:2 tree written by hand: what distribution 2.8 leaves on disk, one file per link. */
async function writeRegistry2Tree(root: string): Promise<void> {
  const v2 = join(root, 'docker/registry/v2')
  const file = async (path: string, data: string) => {
    await mkdir(join(v2, path, '..'), { recursive: true })
    await writeFile(join(v2, path), data)
  }
  const blob = async (data: string) => {
    const hex = sha(data)
    await file(`blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, data)
    return hex
  }
  for (const [repo, tags] of [['a/one', ['v1', 'latest']], ['b', ['v1']]] as const) {
    const layer = await blob(`layer of ${repo}`)
    const config = await blob(`{"architecture":"amd64","os":"linux","repo":"${repo}"}`)
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}`, size: 10 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layer}`, size: 10 }],
    })
    const hex = await blob(manifest)
    for (const linked of [layer, config]) await file(`repositories/${repo}/_layers/sha256/${linked}/link`, `sha256:${linked}`)
    await file(`repositories/${repo}/_manifests/revisions/sha256/${hex}/link`, `sha256:${hex}`)
    for (const tag of tags) await file(`repositories/${repo}/_manifests/tags/${tag}/current/link`, `sha256:${hex}`)
  }
  await file('repositories/b/_uploads/5b0e2c1a-0000-4000-8000-000000000000/startedat', new Date().toISOString())
}

/** Runs `node dist/cli.js ...args` to its end: exit code and stdout/stderr apart (stdout is a pipe, so not a TTY). */
function runCli(cli: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_'))), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
    execFile(process.execPath, [cli, ...args], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

/** stdout as JSON lines; fails the test on any line that is not JSON. */
const jsonLines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)

describe('wharf migrate (the built CLI)', () => {
  let cli: string
  let dir: string
  let root: string

  beforeAll(async () => {
    cli = await ensureCliBuilt()
    dir = await mkdtemp(join(tmpdir(), 'wharf-migrate-cli-'))
    root = join(dir, 'data')
    await writeRegistry2Tree(root)
    await writeFile(join(dir, 'config.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n`)
  }, 300_000)

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  let dryRunWrites = 0

  it('--dry-run prints progress and a summary as JSON lines, exits 0 and writes nothing', async () => {
    const run = await runCli(cli, ['migrate', 'config.yml', '--dry-run'], dir)
    expect(run.code).toBe(0)
    const lines = jsonLines(run.stdout)
    const progress = lines.filter((l) => l['event'] === 'progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress[0]).toMatchObject({ phase: 'blobs', items: expect.any(Number), bytes: expect.any(Number), written: expect.any(Number), fraction: expect.any(Number), itemsPerSecond: expect.any(Number) })
    const summary = lines.at(-1)!
    expect(summary).toMatchObject({ event: 'summary', dryRun: true, blobs: 6, repositories: 2, manifests: 2, tags: 3, layers: 4, skipped: 0, uploadsLeft: 1 })
    dryRunWrites = summary['written'] as number
    expect(dryRunWrites).toBeGreaterThan(0)
    expect(await readdir(root)).toEqual(['docker'])
  })

  it('migrates: writes what the dry run counted, records the migration, exits 0; a second run writes nothing', async () => {
    const first = await runCli(cli, ['migrate', 'config.yml'], dir)
    expect(first.code).toBe(0)
    expect(jsonLines(first.stdout).at(-1)).toMatchObject({ event: 'summary', dryRun: false, written: dryRunWrites, repositories: 2 })
    expect((await stat(join(root, 'migrations'))).isDirectory()).toBe(true)
    const second = await runCli(cli, ['migrate', 'config.yml'], dir)
    expect(second.code).toBe(0)
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({ event: 'summary', written: 0, repositories: 2, manifests: 2 })
  })

  it('refuses a storage without registry:2 data with a clear error line and exit code 1, creating nothing', async () => {
    await writeFile(join(dir, 'empty.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'missing')}\n`)
    const run = await runCli(cli, ['migrate', 'empty.yml'], dir)
    expect(run.code).toBe(1)
    const [line] = jsonLines(run.stdout)
    expect(line).toEqual({ event: 'error', message: expect.stringContaining(`no registry:2 data found on filesystem rootdirectory ${join(dir, 'missing')}`) })
    expect(await readdir(dir)).not.toContain('missing')
  })

  it('fails clearly, without a stack trace, when the storage cannot be read (S3 endpoint refusing connections)', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const s3 = ['version: 0.1', 'storage:', '  s3:', '    bucket: registry', '    region: us-east-1', `    regionendpoint: http://127.0.0.1:${port}`, '    forcepathstyle: true', '    accesskey: a', '    secretkey: b', '    rootdirectory: /reg', '']
    await writeFile(join(dir, 's3.yml'), s3.join('\n'))
    const run = await runCli(cli, ['migrate', 's3.yml'], dir)
    expect(run.code).toBe(1)
    expect(jsonLines(run.stdout)).toEqual([{ event: 'error', message: expect.stringMatching(/^cannot read the storage \(s3 bucket registry under \/reg at http:\/\/127\.0\.0\.1:\d+\): .*ECONNREFUSED/) }])
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/)
  })

  it('exits 2 on a bad configuration and 2 on an unknown option', async () => {
    await writeFile(join(dir, 'bad.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  registry2: maybe\n`)
    const bad = await runCli(cli, ['migrate', 'bad.yml'], dir)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/configuration error: .*storage\.registry2/)
    expect((await runCli(cli, ['migrate', 'config.yml', '--force'], dir)).code).toBe(2)
  })
})
