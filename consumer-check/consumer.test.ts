import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt } from '../test-support/interop/workspace-build.js'
import { requireBinary } from '../test-support/interop/commands.js'
import { PACKAGES, run, serve, WORKSPACE } from './support.js'

/**
 * The packages as a user gets them: each packed with `pnpm pack`, only the tarballs installed with
 * plain npm into an empty project (third-party dependencies come from the npm registry), and used
 * there from ESM, from require(), from TypeScript, from the user's own vitest and as a command.
 */
describe('a project that installs the packed tarballs with npm', () => {
  let work: string
  let consumer: string
  const npm = (args: string[], timeoutMs?: number) => run('npm', args, { cwd: consumer, timeoutMs, env: { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } })

  beforeAll(async () => {
    requireBinary('skopeo', 'skopeo')
    await ensureBuilt(PACKAGES)
    work = await mkdtemp(join(tmpdir(), 'wharf-consumer-'))
    const tarballs = join(work, 'tarballs')
    for (const dir of PACKAGES) {
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(WORKSPACE, 'packages', dir) })
    }
    const files = await readdir(tarballs)
    const tarball = (dir: string) => `file:../tarballs/${files.find((f) => f.startsWith(`wharf-${dir}-`))}`
    consumer = join(work, 'consumer')
    await cp(join(WORKSPACE, 'consumer-check', 'fixture'), consumer, { recursive: true })
    await cp(join(WORKSPACE, 'examples', 'custom-driver', 'sorted-map-driver.mjs'), join(consumer, 'sorted-map-driver.mjs'))
    const manifest = {
      name: 'wharf-consumer',
      private: true,
      type: 'module',
      dependencies: { ...Object.fromEntries(PACKAGES.map((dir) => [`@wharf/${dir}`, tarball(dir)])), express: '^5.1.0' },
      devDependencies: { typescript: '5.9.3', vitest: '4.1.12', '@types/node': '^20.19.0', '@types/express': '^5.0.6' },
    }
    await writeFile(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2))
    await npm(['install', '--no-audit', '--no-fund', '--loglevel=error'], 300_000)
  })

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('has exactly one copy of @wharf/core (npm ls)', async () => {
    const paths = (await npm(['ls', '@wharf/core', '--all', '--parseable'])).trim().split('\n').filter(Boolean)
    expect(paths).toEqual([join(consumer, 'node_modules', '@wharf', 'core')])
    expect(await npm(['ls', '@wharf/core', '--all'])).toContain('deduped')
  })

  it('ships LICENSE, README and no test kit inside core', async () => {
    for (const dir of PACKAGES) {
      const files = await readdir(join(consumer, 'node_modules', '@wharf', dir))
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist']))
    }
    await expect(readdir(join(consumer, 'node_modules', '@wharf', 'core', 'dist', 'testing'))).rejects.toThrow()
  })

  it.each(['node16', 'bundler'])('typechecks a consumer file under moduleResolution %s', async (resolution) => {
    await npm(['exec', '--', 'tsc', '-p', `tsconfig.${resolution}.json`])
  })

  it('embeds the registry in node:http and Express from ESM; skopeo pushes and pulls', async () => {
    const out = await run('node', ['smoke-esm.mjs'], { cwd: consumer })
    expect(out).toMatch(/esm node:http: pushed and pulled sha256:/)
    expect(out).toMatch(/esm express: pushed and pulled sha256:/)
  })

  it('does the same from CommonJS with require()', async () => {
    const out = await run('node', ['smoke-cjs.cjs'], { cwd: consumer })
    expect(out).toMatch(/cjs node:http: pushed and pulled sha256:/)
    expect(out).toMatch(/cjs express: pushed and pulled sha256:/)
  })

  it("runs @wharf/testing's driver suite on the memory driver and a custom driver with its own vitest", async () => {
    const out = await npm(['exec', '--', 'vitest', 'run', '--reporter=json'], 240_000)
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { numTotalTests: number; numPassedTests: number; numFailedTests: number }
    expect(report.numFailedTests).toBe(0)
    expect(report.numPassedTests).toBeGreaterThan(30)
  })

  it('runs the wharf command with npx: --help, then serves /v2/', async () => {
    expect(await npm(['exec', '--', 'wharf', '--help'])).toContain('Usage: wharf')
    const data = join(work, 'npx-data')
    const server = await serve('npx', ['wharf'], {
      cwd: consumer,
      env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: data },
    })
    try {
      const response = await fetch(`${server.url}/v2/`)
      expect(response.status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it('runs the wharf command from a global install (npm i -g into a prefix)', async () => {
    const prefix = join(work, 'global')
    await mkdir(prefix)
    // The installed package folder: its @wharf dependencies are the tarballs', not the registry's.
    await npm(['install', '--global', '--prefix', prefix, join(consumer, 'node_modules', '@wharf', 'server')])
    const out = await run(join(prefix, 'bin', 'wharf'), ['--help'], { cwd: work })
    expect(out).toContain('Usage: wharf')
  })

  it('answers 404 and 201, not 500, with two physical copies of core of different versions', async () => {
    const nested = join(consumer, 'node_modules', '@wharf', 'storage-fs', 'node_modules', '@wharf', 'core')
    await cp(join(consumer, 'node_modules', '@wharf', 'core'), nested, { recursive: true })
    const manifest = JSON.parse(await readFile(join(nested, 'package.json'), 'utf8')) as { version: string }
    await writeFile(join(nested, 'package.json'), JSON.stringify({ ...manifest, version: `${manifest.version}-copy` }))
    const out = await run('node', ['two-cores.mjs'], { cwd: consumer })
    expect(out).toContain('-copy, the registry another copy')
    expect(out).toContain('two copies of core: 404 for a missing manifest, 201 for every push')
  })
})
