import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * Node's sha256 throughput in MiB/s: crypto.createHash('sha256') over the blob's bytes, already in
 * memory, in 1 MiB updates. A push can never be faster than hashing its bytes once, so this is the
 * push ceiling. `wallClock` is what the pushes are compared with (same machine, same moment, same
 * competition for the cores); `cpuTime` divides by this thread's CPU time instead, as `openssl speed`
 * does, and so hardly moves when other work loads the machine.
 */
export async function measureNodeSha256(path) {
  const bytes = await readFile(path)
  const hash = createHash('sha256')
  const started = process.hrtime.bigint()
  const cpuBefore = process.cpuUsage()
  for (let offset = 0; offset < bytes.length; offset += 1 << 20) hash.update(bytes.subarray(offset, offset + (1 << 20)))
  hash.digest()
  // The process's CPU time: only this thread hashes, the others are idle meanwhile.
  const cpu = process.cpuUsage(cpuBefore)
  const cpuMicros = cpu.user + cpu.system
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const mib = bytes.length / 2 ** 20
  return { wallClock: mib / seconds, cpuTime: mib / (cpuMicros / 1e6) }
}

/**
 * `openssl speed -evp sha256 -bytes 1048576` in MiB/s, or undefined when openssl is not installed.
 * Without `-elapsed`, openssl divides by its CPU user time, not wall-clock time. It prints "1000s of
 * bytes per second"; a failure to parse that is an error, not a blank.
 */
export async function measureOpensslSha256(seconds) {
  let output
  try {
    output = await execFileAsync('openssl', ['speed', '-evp', 'sha256', '-bytes', '1048576', '-seconds', String(seconds)])
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }
  const match = /^sha256\s+([\d.]+)k\s*$/m.exec(output.stdout)
  if (!match) throw new Error(`cannot read openssl speed's output:\n${output.stdout}`)
  return (Number(match[1]) * 1000) / 2 ** 20
}
