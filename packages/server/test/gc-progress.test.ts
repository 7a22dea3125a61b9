import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createGcProgress } from '../src/gc-progress.js'

const report = { dryRun: false, repositories: 3, manifestsDeleted: 2, linksDeleted: 5, blobsDeleted: 4, dataObjectsDeleted: 1, bytesReclaimed: 3 * 1024 * 1024, uploadsPurged: 1, durationMs: 1500 }

function capture() {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { stream, text: () => text }
}

describe('garbage-collect progress', () => {
  it('on a terminal redraws one line, at most every 250 ms within a phase, then prints the summary', () => {
    const out = capture()
    let now = 0
    const progress = createGcProgress({ tty: out.stream }, () => now)
    progress.update({ phase: 'uploads', done: 0 })
    progress.update({ phase: 'repositories', done: 1 })
    now = 100
    progress.update({ phase: 'repositories', done: 2 }) // within 250 ms: not drawn
    now = 400
    progress.update({ phase: 'repositories', done: 3 })
    progress.finish(report)
    const frames = out.text().split('\r\x1b[2K').filter(Boolean)
    expect(frames.slice(0, 3)).toEqual([
      'garbage-collect: 0 idle uploads purged  0.00s',
      'garbage-collect: 1 repositories marked and swept  0.00s',
      'garbage-collect: 3 repositories marked and swept  0.40s',
    ])
    expect(frames[3]).toBe(
      'garbage-collect: removed 12 object(s), 3.0 MiB: 2 manifest(s), 5 repository link(s), 4 blob(s), 1 orphaned data object(s); 1 idle upload(s) purged; 3 repositories in 1.50s\n',
    )
    expect(out.text()).not.toContain('\n' + 'garbage-collect:') // one line, redrawn
  })

  it('elsewhere writes JSON lines: progress, then the summary or the error', () => {
    const out = capture()
    const progress = createGcProgress({ lines: out.stream }, () => 0)
    progress.update({ phase: 'blobs', done: 7 })
    progress.finish({ ...report, dryRun: true })
    progress.fail(new Error('storage is unavailable'))
    expect(out.text().trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { event: 'progress', phase: 'blobs', done: 7, elapsedMs: 0 },
      { event: 'summary', ...report, dryRun: true },
      { event: 'error', message: 'storage is unavailable' },
    ])
  })
})
