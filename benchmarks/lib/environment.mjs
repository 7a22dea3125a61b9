import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { availableParallelism, loadavg, release, totalmem } from 'node:os'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * What a reader needs beside the figures to judge them: date, Node and reference versions, CPU
 * model and core count, kernel, memory, the wharf commit, and the load average when the run started (other work on
 * the machine lowers every figure). Missing facts read "unknown" rather than failing the run.
 */
export async function describeEnvironment(referenceBin, repoRoot) {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '')
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  const reference = await execFileAsync(referenceBin, ['--version']).then(
    ({ stdout }) => stdout.trim(),
    () => 'unknown',
  )
  const git = (args) => execFileAsync('git', ['-C', repoRoot, ...args]).then(({ stdout }) => stdout.trim(), () => undefined)
  const commit = await git(['rev-parse', '--short', 'HEAD'])
  const dirty = await git(['status', '--porcelain', '--', 'packages'])
  return {
    // The build measured is whatever packages/*/dist holds; the commit says which sources it came
    // from only if nothing under packages/ was changed since.
    wharf: commit ? `${commit}${dirty ? ' plus uncommitted changes under packages/' : ''}` : 'unknown',
    date: new Date().toISOString(),
    node: process.version,
    reference,
    cpuModel,
    cores: availableParallelism(),
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAtStart: describeLoad(),
  }
}

/** The 1, 5 and 15 minute load averages, e.g. "0.12 0.30 0.25". */
export function describeLoad() {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')
}
