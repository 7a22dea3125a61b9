import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { expect } from 'vitest'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const CHILD = here('../fixtures/child.mjs')

/**
 * Bundles the driver's sources (with @wharf/core's sources inlined) into plain ESM that a separate
 * `node` process can import: tests must not depend on a prior build of any package, and node 20
 * cannot run TypeScript. Returns the bundle directory and a cleanup function.
 */
export async function bundleDriverForChildren(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  // Inside the package (`.tmp/` is git-ignored) so the bundle resolves fast-glob from our node_modules.
  await mkdir(here('../../.tmp'), { recursive: true })
  const dir = await mkdtemp(here('../../.tmp/bundle-'))
  await build({
    config: false,
    entry: { driver: here('../../src/index.ts'), 'key-lock': here('../../src/key-lock.ts'), 'key-paths': here('../../src/key-paths.ts') },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    silent: true,
    splitting: true,
    noExternal: [/^@wharf\//],
    external: ['fast-glob'],
    esbuildOptions(options) {
      options.alias = { '@wharf/core': here('../../../core/src/index.ts') }
    },
  })
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A running child: its process, and its stdout parsed as one JSON value per line. */
export interface Child {
  process: ChildProcess
  /** Resolves with the next JSON line the child prints (rejects if it exits first). */
  nextMessage(): Promise<unknown>
  /** Resolves with every JSON line once the child exits (rejects on a non-zero exit). */
  done: Promise<unknown[]>
}

/** Starts `node test/fixtures/child.mjs <bundleDir> <command JSON>`. */
export function startChild(bundleDir: string, command: Record<string, unknown>): Child {
  const child = spawn(process.execPath, [CHILD, bundleDir, JSON.stringify(command)], { stdio: ['pipe', 'pipe', 'pipe'] })
  const messages: unknown[] = []
  const waiting: Array<{ resolve: (m: unknown) => void; reject: (e: unknown) => void }> = []
  let buffered = ''
  let stderr = ''
  let delivered = 0
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const message = JSON.parse(buffered.slice(0, nl)) as unknown
      buffered = buffered.slice(nl + 1)
      messages.push(message)
      const waiter = waiting.shift()
      if (waiter) {
        delivered++
        waiter.resolve(message)
      }
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const done = new Promise<unknown[]>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) resolve(messages)
      else reject(new Error(`child ${JSON.stringify(command.op)} exited with ${code ?? signal}: ${stderr}`))
    })
  })
  done.then(
    () => waiting.splice(0).forEach((w) => w.reject(new Error('child exited without saying more'))),
    (error: unknown) => waiting.splice(0).forEach((w) => w.reject(error)),
  )
  return {
    process: child,
    done,
    nextMessage: () =>
      new Promise((resolve, reject) => {
        if (delivered < messages.length) resolve(messages[delivered++])
        else if (child.exitCode !== null || child.signalCode !== null) reject(new Error('child has exited'))
        else waiting.push({ resolve, reject })
      }),
  }
}

/** Runs a child to completion and returns its last JSON line. */
export async function runChild(bundleDir: string, command: Record<string, unknown>): Promise<unknown> {
  const child = startChild(bundleDir, command)
  child.process.stdin!.end()
  const messages = await child.done
  return messages[messages.length - 1]
}

/**
 * Runs children that race each other: waits until every one has loaded the driver and said
 * `ready`, then tells them all to go at once (process start-up can take a second under load, far
 * longer than the race). Returns each child's last JSON line.
 */
export async function raceChildren(bundleDir: string, commands: Array<Record<string, unknown>>): Promise<unknown[]> {
  const children = commands.map((command) => startChild(bundleDir, command))
  for (const child of children) expect(await child.nextMessage()).toBe('ready')
  for (const child of children) child.process.stdin!.end('go\n')
  return Promise.all(children.map(async (child) => (await child.done).at(-1)))
}
