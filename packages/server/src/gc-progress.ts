import type { GarbageCollectionProgress, GarbageCollectionReport } from '@wharf/core'
import { toBytes, toDuration, type ProgressOutput } from './migrate-progress.js'

/** What `wharf garbage-collect` shows while it runs and when it ends. */
export interface GcProgressDisplay {
  update(progress: GarbageCollectionProgress): void
  finish(report: GarbageCollectionReport): void
  fail(error: unknown): void
}

/** At most this often, except on a phase change: one line per repository would flood a log. */
const EVERY_MS = 250

const PHASES: Record<GarbageCollectionProgress['phase'], string> = {
  uploads: 'idle uploads purged',
  repositories: 'repositories marked and swept',
  blobs: 'blob records swept',
  data: 'data objects swept',
}

/** `1.2s` under a minute (a collection of a small registry takes well under a second), else `3m05s`. */
export function toElapsed(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s` : toDuration(ms)
}

/** One sentence of what a collection removed (or would): the log line and the terminal summary use it. */
export function describeReport(report: GarbageCollectionReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed'
  const objects = report.manifestsDeleted + report.linksDeleted + report.blobsDeleted + report.dataObjectsDeleted
  return (
    `${verb} ${objects} object(s), ${toBytes(report.bytesReclaimed)}: ${report.manifestsDeleted} manifest(s), ` +
    `${report.linksDeleted} repository link(s), ${report.blobsDeleted} blob(s), ${report.dataObjectsDeleted} orphaned data object(s); ` +
    `${report.uploadsPurged} idle upload(s) ${report.dryRun ? 'to purge' : 'purged'}; ${report.repositories} repositories in ${toElapsed(report.durationMs)}` +
    extras(report)
  )
}

/** What only some runs do, said only when they did it (so a plain run's line stays as it was). */
function extras(report: GarbageCollectionReport): string {
  const parts: string[] = []
  const retention = report.retention
  if (retention) parts.push(`retention ${report.dryRun ? 'would delete' : 'deleted'} ${retention.tagsDeleted} tag(s) and ${retention.manifestsDeleted} manifest(s) first`)
  if (report.repositoriesRemoved) parts.push(`${report.repositoriesRemoved} empty repositor${report.repositoriesRemoved === 1 ? 'y' : 'ies'} ${report.dryRun ? 'would leave' : 'left'} the catalog`)
  if (report.registry2FilesDeleted) parts.push(`${report.registry2FilesDeleted} registry:2 file(s) or director(ies) ${report.dryRun ? 'to remove' : 'removed'}`)
  return parts.map((p) => `; ${p}`).join('')
}

/**
 * A redrawn line on a terminal (`tty`), or one JSON object per line (`lines`: `{"event":"progress"}`,
 * then `{"event":"summary", ...report}` or `{"event":"error","message"}`), as `wharf migrate` does.
 */
export function createGcProgress(output: ProgressOutput, now: () => number = Date.now): GcProgressDisplay {
  const started = now()
  let last = 0
  let phase: GarbageCollectionProgress['phase'] | undefined
  const write = (text: string) => ('tty' in output ? output.tty : output.lines).write(text)

  return {
    update(p) {
      const t = now()
      if (p.phase === phase && t - last < EVERY_MS) return
      phase = p.phase
      last = t
      const elapsedMs = t - started
      if ('lines' in output) return void write(`${JSON.stringify({ event: 'progress', phase: p.phase, done: p.done, elapsedMs })}\n`)
      write(`\r\x1b[2Kgarbage-collect: ${p.done} ${PHASES[p.phase]}  ${toElapsed(elapsedMs)}`)
    },
    finish(report) {
      if ('lines' in output) return void write(`${JSON.stringify({ event: 'summary', ...report })}\n`)
      write(`\r\x1b[2K${report.dryRun ? 'garbage-collect (dry run, nothing removed): ' : 'garbage-collect: '}${describeReport(report)}\n`)
    },
    fail(error) {
      const message = error instanceof Error ? error.message : String(error)
      if ('lines' in output) return void write(`${JSON.stringify({ event: 'error', message })}\n`)
      write(`\r\x1b[2Kgarbage collection stopped: ${message}\n`)
    },
  }
}
