import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The Azurite development account and its well-known key (public, documented by Microsoft). */
export const azuriteAccount = {
  accountName: 'devstoreaccount1',
  accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const

/** A running Azurite blob service. */
export interface RunningAzurite {
  /** Path-style account URL, e.g. `http://127.0.0.1:41234/devstoreaccount1`. */
  readonly endpoint: string
  /** Stops the server and removes its working directory. Safe to call twice. */
  stop(): Promise<void>
}

const packageRoot = fileURLToPath(new URL('..', import.meta.url))
const azuriteBin = join(packageRoot, 'node_modules', '.bin', 'azurite-blob')

/**
 * Starts Azurite's blob service on a free loopback port, in memory, and resolves once it answers
 * HTTP (polling for up to `timeoutMs`, 30 s by default, because a loaded 2-core machine can be slow).
 *
 * `--disableTelemetry` keeps Azurite from opening outbound connections. `--skipApiVersionCheck` is
 * needed because @azure/storage-blob 12.32 speaks service version 2026-04-06 while Azurite 3.35
 * knows versions up to 2025-11-05 and would refuse every request otherwise.
 */
export async function startAzurite(options: { timeoutMs?: number } = {}): Promise<RunningAzurite> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const workdir = await mkdtemp(join(tmpdir(), 'wharf-azurite-'))
  const port = await findFreePort()
  const child = spawn(
    azuriteBin,
    [
      '--blobHost', '127.0.0.1',
      '--blobPort', String(port),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--silent',
    ],
    // In-memory mode refuses --location; the temp cwd catches anything it still writes.
    { cwd: workdir, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 10_000) stderr += s
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await stopChild(child, exited)
    await rm(workdir, { recursive: true, force: true })
  }

  const endpoint = `http://127.0.0.1:${port}/${azuriteAccount.accountName}`
  try {
    await waitUntilAnswering(`http://127.0.0.1:${port}/`, timeoutMs, exited)
  } catch (error) {
    await stop()
    throw new Error(`Azurite did not start on port ${port}: ${(error as Error).message}\n${stderr}`)
  }
  return { endpoint, stop }
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitUntilAnswering(url: string, timeoutMs: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let gone: number | null | undefined
  void exited.then((code) => {
    gone = code
  })
  for (;;) {
    if (gone !== undefined) throw new Error(`azurite-blob exited with code ${gone}`)
    try {
      // Any HTTP answer (Azurite says 400 to a bare GET) means the listener is up.
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await res.body?.cancel()
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
