import { readFileSync } from 'node:fs'

/**
 * Resident memory of a process from /proc/<pid>/status: `rss` now, and `hwm` (VmHWM), the highest
 * resident size since the process started. Both in bytes. Throws if the process is gone.
 */
export function readProcessMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return { rss: toBytes(status, 'VmRSS'), hwm: toBytes(status, 'VmHWM') }
}

/**
 * Polls a process's resident size every `intervalMs` until `stop()`, which returns the peak seen:
 * the larger of the sampled VmRSS values and VmHWM. VmHWM alone catches spikes between samples;
 * the samples are a cross-check in case a kernel does not report VmHWM.
 */
export function createPeakRssSampler(pid, intervalMs = 20) {
  let peak = 0
  const sample = () => {
    try {
      const { rss, hwm } = readProcessMemory(pid)
      peak = Math.max(peak, rss, hwm)
    } catch {
      // The process exited; the caller notices through its own liveness check.
    }
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    },
  }
}

function toBytes(status, field) {
  const match = new RegExp(`^${field}:\\s*(\\d+)\\s*kB$`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : 0
}
