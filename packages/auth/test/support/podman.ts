import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** True when the podman CLI is installed (Debian package `podman`). */
export const hasPodman = !spawnSync('podman', ['--version']).error

/** The outcome of one podman command: exit status and everything it printed. */
export interface PodmanResult {
  ok: boolean
  output: string
}

/** A podman whose images, state, temporary files and settings all live in one temporary directory. */
export interface IsolatedPodman {
  /** Runs `podman <global flags> ...args`; never throws for a non-zero exit, which `ok` reports. */
  run(...args: string[]): Promise<PodmanResult>
  /** The directory holding everything; auth files for `--authfile` go here too. */
  dir: string
  /** Removes the directory (podman's vfs layers included). */
  remove(): void
}

/**
 * Makes a podman that touches nothing of the machine's: `--root`, `--runroot` and `--tmpdir` in a
 * temporary directory, the vfs storage driver (no overlay mounts needed), cgroupfs and file events
 * (no systemd or journald), an empty registries.conf (no mirrors or search lists of the machine) and
 * TMPDIR for image copies (podman's default is /var/tmp).
 */
export function createIsolatedPodman(): IsolatedPodman {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-podman-'))
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const registriesConf = join(dir, 'registries.conf')
  writeFileSync(registriesConf, '')
  const globalFlags = [
    '--root', join(dir, 'root'),
    '--runroot', join(dir, 'run'),
    '--tmpdir', join(dir, 'libpod-tmp'),
    '--storage-driver', 'vfs',
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
  ]
  const env = { ...process.env, TMPDIR: tmp, CONTAINERS_REGISTRIES_CONF: registriesConf, REGISTRY_AUTH_FILE: join(dir, 'default-auth.json') }
  return {
    dir,
    run: (...args) =>
      new Promise((resolve) => {
        execFile('podman', [...globalFlags, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ ok: !error, output: `${stdout}${stderr}` })
        })
      }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * Builds a one-layer image offline: a tar of one small file made with `tar`, turned into an image by
 * `podman import` under `name`. Returns the image id podman gave it (the config digest), or throws
 * with podman's own words when podman cannot work here at all.
 */
export async function importTinyImage(podman: IsolatedPodman, name: string): Promise<string> {
  const source = join(podman.dir, 'image-source')
  mkdirSync(source, { recursive: true })
  writeFileSync(join(source, 'hello.txt'), `hello from wharf ${Date.now()}\n`)
  const tarball = join(podman.dir, 'image.tar')
  execFileSync('tar', ['-cf', tarball, '-C', source, '.'])
  const imported = await podman.run('import', '--quiet', tarball, name)
  if (!imported.ok) throw new Error(`podman cannot build an image here (podman import failed):\n${imported.output}`)
  return toImageId(podman, name)
}

/** The id (config digest, without `sha256:`) of a local image. */
export async function toImageId(podman: IsolatedPodman, name: string): Promise<string> {
  const inspected = await podman.run('image', 'inspect', '--format', '{{.Id}}', name)
  if (!inspected.ok) throw new Error(`podman image inspect ${name} failed:\n${inspected.output}`)
  return inspected.output.trim()
}
