import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond

/**
 * CPU seconds (user + system, all threads) a process has used since it started, from
 * /proc/<pid>/stat. Unlike wall-clock throughput, the CPU a server spends per byte or per request
 * hardly changes when other work competes for the cores, so it stays comparable on a busy machine.
 * Throws if the process is gone.
 */
export function readProcessCpuSeconds(pid) {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may contain spaces and parentheses; the fields after its last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after the name (0-based, from state).
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}
