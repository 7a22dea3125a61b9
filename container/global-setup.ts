import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const script = (name: string) => join(root, 'container/scripts', name)

declare module 'vitest' {
  export interface ProvidedContext {
    /** `unix://…/docker.sock` of the daemon this run started. */
    dockerHost: string
    /** The image under test, built by `npm run image`'s script. */
    image: string
  }
}

/**
 * Starts a private dockerd (own data root, socket and pid file under a temp dir) and builds the image
 * with the script behind `npm run image`, then stops the daemon after the run. Any failure here
 * fails the whole project: a machine without a working docker must not pass these tests by skipping.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-dockerd-'))
  const stop = async () => {
    await run('bash', [script('dockerd.sh'), 'stop', dir]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const started = await run('bash', [script('dockerd.sh'), 'start', dir], { timeout: 180_000 })
    const dockerHost = started.stdout.trim().replace(/^DOCKER_HOST=/, '')
    const image = 'wharf:dev'
    // The stand-in base unless a base is named: CI cannot reach Docker Hub, and a pull attempt
    // would only add its timeout.
    const env = { ...process.env, DOCKER_HOST: dockerHost, IMAGE_TAG: image, WHARF_IMAGE_STANDIN: process.env['WHARF_IMAGE_STANDIN'] ?? '1' }
    const built = await run('bash', [script('build-image.sh')], { env, timeout: 900_000, maxBuffer: 16 << 20 })
    process.stdout.write(built.stdout)
    project.provide('dockerHost', dockerHost)
    project.provide('image', image)
  } catch (error) {
    await stop()
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`container tests: cannot start dockerd or build the image:\n${stdout}\n${stderr}`, { cause: error })
  }
  return stop
}
