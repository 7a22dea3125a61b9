import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** True when containerd and ctr are installed and we may run them (they need root). */
export const hasContainerd = !spawnSync('containerd', ['--version']).error && !spawnSync('ctr', ['--version']).error && process.getuid?.() === 0

/** Starts a private containerd (no CRI) in a temporary directory; resolves once its socket exists. */
export async function startContainerd(): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-containerd-'))
  const socket = join(dir, 'containerd.sock')
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${join(dir, 'ttrpc.sock')}"`,
      '',
    ].join('\n'),
  )
  const child = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' })
  const deadline = Date.now() + 20_000
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('containerd did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    socket,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
