import { spawn, type ChildProcess } from 'node:child_process'
import { access, mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCommand, type CommandOutput } from '../../../../../test-support/interop/commands.js'

/** A containerd daemon private to one test file, and `ctr` bound to its socket. */
export interface RunningContainerd {
  socket: string
  /** Runs `ctr -a <socket> …args`. */
  ctr(...args: string[]): Promise<CommandOutput>
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. */
  stop(): Promise<void>
}

function toConfig(dir: string): string {
  // Only the content store, images and snapshotters are needed: the CRI plugin would try to set up
  // Kubernetes networking and fails without privileges this machine may not grant.
  return [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd-ttrpc.sock'))}`,
    '',
  ].join('\n')
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  if (await waitForExit(child, 10_000)) return
  child.kill('SIGKILL')
  await waitForExit(child, 5_000)
}

/**
 * Starts containerd with its root, state and sockets inside `dir` (keep the path short: unix socket
 * paths are limited to ~107 bytes) and resolves once `ctr version` answers. Its log goes to
 * `dir/containerd.log`; a daemon that does not come up within 20 s is killed and the log tail reported.
 */
export async function startContainerd(dir: string): Promise<RunningContainerd> {
  const configPath = join(dir, 'config.toml')
  const logPath = join(dir, 'containerd.log')
  const socket = join(dir, 'containerd.sock')
  await mkdir(dir, { recursive: true })
  await writeFile(configPath, toConfig(dir))
  const log = await open(logPath, 'w')
  const child = spawn('containerd', ['--config', configPath], { stdio: ['ignore', log.fd, log.fd] })
  await log.close()
  const ctr = (...args: string[]) => runCommand('ctr', ['-a', socket, ...args], { timeoutMs: 60_000 })
  const failed = async (why: string) => {
    await stopChild(child)
    const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n')
    return new Error(`containerd ${why}; last lines of ${logPath}:\n${tail}`)
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw await failed(`exited (${child.exitCode ?? child.signalCode})`)
    // ctr waits 10 s for a socket that does not exist yet, so look for the file first.
    const ready = await access(socket).then(
      () => runCommand('ctr', ['-a', socket, '--connect-timeout', '2s', 'version']).then(() => true, () => false),
      () => false,
    )
    if (ready) break
    if (Date.now() > deadline) throw await failed('did not answer within 20 s')
    await sleep(100)
  }
  return { socket, ctr, stop: () => stopChild(child) }
}
