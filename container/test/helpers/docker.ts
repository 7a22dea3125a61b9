import { execFile } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { inject } from 'vitest'

const exec = promisify(execFile)
/** Debian's docker.io CLI: a newer `docker` on PATH may need plugins these machines lack. */
const DOCKER = '/usr/bin/docker'

export interface Result {
  code: number
  stdout: string
  stderr: string
}

/** A docker CLI bound to the test daemon, with its own DOCKER_CONFIG so logins never leak. */
export interface Docker {
  /** Runs `docker ARGS`; throws with the output unless it exits 0 (or `allowFailure`). */
  run(args: string[], options?: { allowFailure?: boolean; input?: string; env?: Record<string, string> }): Promise<Result>
  /** A fresh temp dir that the container's user can read, removed by `cleanUp`. */
  tempDir(prefix: string): Promise<string>
  /** Containers and volumes to remove in `cleanUp`. */
  track(kind: 'container' | 'volume', name: string): string
  cleanUp(): Promise<void>
  image: string
}

export async function createDocker(): Promise<Docker> {
  const dockerHost = inject('dockerHost')
  const config = await mkdtemp(join(tmpdir(), 'wharf-docker-config-'))
  const dirs = [config]
  const containers: string[] = []
  const volumes: string[] = []
  const run: Docker['run'] = async (args, options = {}) => {
    const env = { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0', ...options.env }
    const child = execFile(DOCKER, args, { env, maxBuffer: 64 << 20 })
    if (options.input !== undefined) child.stdin!.end(options.input)
    else child.stdin!.end()
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
    const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)))
    if (code !== 0 && !options.allowFailure) throw new Error(`docker ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`)
    return { code, stdout, stderr }
  }
  return {
    image: inject('image'),
    run,
    async tempDir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `wharf-${prefix}-`))
      dirs.push(dir)
      // mkdtemp makes it 0700: the server in the container runs as uid 1000 and must traverse it.
      await chmod(dir, 0o755)
      return dir
    },
    track(kind, name) {
      ;(kind === 'container' ? containers : volumes).push(name)
      return name
    },
    async cleanUp() {
      if (containers.length > 0) await run(['rm', '-f', '-v', ...containers.splice(0)], { allowFailure: true })
      if (volumes.length > 0) await run(['volume', 'rm', '-f', ...volumes.splice(0)], { allowFailure: true })
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A TCP port free on this machine right now (containers use the host's network). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Waits until `url` (a health endpoint) answers 200, polling; fails at once with the container's
 * log if the container stops first. The deadline is generous on purpose: a loaded machine is slow
 * to start node, and only the event is asserted, never how long it took.
 */
export async function waitHealthy(docker: Docker, container: string, url: string): Promise<void> {
  const deadline = Date.now() + 180_000
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
      (response) => response.status === 200,
      () => false,
    )
    if (ok) return
    const state = await docker.run(['inspect', '-f', '{{.State.Running}}', container], { allowFailure: true })
    if (state.stdout.trim() !== 'true') {
      const logs = await docker.run(['logs', container], { allowFailure: true })
      throw new Error(`container ${container} stopped before ${url} answered:\n${logs.stdout}\n${logs.stderr}`)
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 180 s`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * Builds a small test image without any pull: `FROM scratch` plus one file whose content is `marker`
 * (so each test's image has its own digest). The classic builder: BuildKit would try to resolve
 * the Dockerfile frontend.
 */
export async function buildTestImage(docker: Docker, tag: string, marker: string): Promise<void> {
  const dir = await docker.tempDir('test-image')
  await writeFile(join(dir, 'marker.txt'), `${marker}\n`)
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY marker.txt /marker.txt\nCMD ["/marker.txt"]\n')
  await docker.run(['build', '--network', 'host', '-t', tag, dir])
}

/** The digest `docker push` reports (`…: digest: sha256:… size: …`). */
export function pushedDigest(output: string): string {
  const match = /digest: (sha256:[0-9a-f]{64})/.exec(output)
  if (!match) throw new Error(`no digest in docker push output:\n${output}`)
  return match[1]!
}

/** Runs a command outside docker (openssl, htpasswd, skopeo), throwing with its output on failure. */
export async function sh(file: string, args: string[], options: { allowFailure?: boolean } = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(file, args, { maxBuffer: 16 << 20 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string }
    if (!options.allowFailure) throw new Error(`${file} ${args.join(' ')} failed:\n${stdout}\n${stderr}`)
    return { code: typeof code === 'number' ? code : 1, stdout, stderr }
  }
}
