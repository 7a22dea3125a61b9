import type { MigrateProgress, MigrateSummary } from '@wharf/core'

/** Where progress goes: a redrawn line on a terminal, or one JSON object per line for logs and CI. */
export type ProgressOutput = { tty: NodeJS.WritableStream } | { lines: NodeJS.WritableStream }

export interface MigrateProgressDisplay {
  update(progress: MigrateProgress): void
  finish(summary: MigrateSummary): void
  fail(error: unknown): void
}

/** At most this often: a progress line per item would cost more than the migration on fast storage. */
const EVERY_MS = 250
const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function toBytes(n: number): string {
  let i = 0
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function toDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

/**
 * Items, bytes (of blobs referenced, not copied), rate and ETA. The ETA comes from the share of
 * directories done in the current phase, since counting the tree first would double the listing.
 */
export function createMigrateProgress(output: ProgressOutput, now: () => number = Date.now): MigrateProgressDisplay {
  const started = now()
  let phaseStarted = started
  let phase: MigrateProgress['phase'] | undefined
  let last = 0
  const write = (text: string) => ('tty' in output ? output.tty : output.lines).write(text)

  return {
    update(p) {
      const t = now()
      if (p.phase !== phase) (phase = p.phase), (phaseStarted = t)
      if (t - last < EVERY_MS) return
      last = t
      const elapsed = Math.max(1, t - started)
      const rate = (p.items * 1000) / elapsed
      const phaseElapsed = t - phaseStarted
      const etaMs = p.fraction > 0.01 ? (phaseElapsed / p.fraction) * (1 - p.fraction) : undefined
      if ('lines' in output) {
        write(`${JSON.stringify({ event: 'progress', ...p, itemsPerSecond: Math.round(rate), ...(etaMs === undefined ? {} : { phaseEtaSeconds: Math.round(etaMs / 1000) }) })}\n`)
        return
      }
      const width = 24
      const filled = Math.round(p.fraction * width)
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`
      write(`\r\x1b[2K${p.phase} ${bar} ${Math.round(p.fraction * 100)}%  ${p.items} items  ${toBytes(p.bytes)}  ${Math.round(rate)}/s  written ${p.written}  ETA ${etaMs === undefined ? '?' : toDuration(etaMs)}`)
    },
    finish(summary) {
      if ('lines' in output) return void write(`${JSON.stringify({ event: 'summary', ...summary })}\n`)
      write(
        `\r\x1b[2K${summary.dryRun ? 'dry run: would write' : 'migrated: wrote'} ${summary.written} records in ${toDuration(summary.ms)}\n` +
          `  ${summary.repositories} repositories, ${summary.manifests} manifests, ${summary.tags} tags, ${summary.layers} layer links\n` +
          `  ${summary.blobs} blobs (${toBytes(summary.bytes)}) referenced in place, no bytes copied\n` +
          (summary.skipped ? `  ${summary.skipped} manifests skipped (bytes missing or unparsable)\n` : '') +
          (summary.uploadsLeft ? `  ${summary.uploadsLeft} registry:2 uploads left half done (not resumable by wharf; clients restart them)\n` : '') +
          (summary.resumedAfter ? `  resumed after ${summary.resumedAfter}\n` : ''),
      )
    },
    fail(error) {
      const message = error instanceof Error ? error.message : String(error)
      if ('lines' in output) return void write(`${JSON.stringify({ event: 'error', message })}\n`)
      write(`\r\x1b[2Kmigration stopped: ${message}\n`)
    },
  }
}
