/**
 * Durations written as registry:2 (Go's `time.ParseDuration`) writes them: a sequence of decimal
 * numbers with units, e.g. `168h`, `1h30m`, `10s`, `1.5s`, `250ms`; units `ns`, `us`/`µs`, `ms`, `s`,
 * `m`, `h`. A bare `0` means zero.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

const DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)/

/**
 * The duration `text` in milliseconds, or `undefined` when it is not a non-negative Go duration.
 * Fractions of a millisecond are kept (`1500us` is 1.5).
 */
export function toDurationMs(text: string): number | undefined {
  const input = text.trim()
  if (input === '0') return 0
  if (input === '') return undefined
  let rest = input.startsWith('+') ? input.slice(1) : input
  if (rest === '') return undefined
  let total = 0
  while (rest.length > 0) {
    const match = DURATION.exec(rest)
    if (!match) return undefined
    const unit = /[a-zµμ]+$/.exec(match[0])![0]
    total += Number(match[0].slice(0, -unit.length)) * UNIT_MS[unit]!
    rest = rest.slice(match[0].length)
  }
  return Number.isFinite(total) ? total : undefined
}

/** A duration in milliseconds written back the way registry:2 configs write it (`90s`, `1.5s`, `250ms`). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s'
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms >= 1000) return `${ms / 1000}s`
  return `${ms}ms`
}
