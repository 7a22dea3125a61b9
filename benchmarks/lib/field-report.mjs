import { cpus, totalmem } from 'node:os'
import { execFileSync } from 'node:child_process'
import { median } from './stats.mjs'

/** Goals of issue 16, per figure: [kind, value]; ratio = wharf median / reference median. */
const GOALS = [
  [/^push .*curl/, 'ratio', 3],
  [/^push .*skopeo/, 'ratio', 3],
  [/^pull .*curl/, 'ratio', 0.9],
  [/^GET manifest|^HEAD blob|^GET 4 KiB/, 'ratio', 10],
  [/^peak RSS during the push/, 'max', 64],
]
const unitOf = (figure) => (/RSS/.test(figure) ? 'MB' : /CPU/.test(figure) ? 'CPU s/GiB' : /push|pull/.test(figure) ? 'MiB/s' : 'req/s')
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1))
const spread = (values) => {
  if (!values?.length) return 'n/a'
  const sorted = [...values].sort((a, b) => a - b)
  return values.length === 1 ? fmt(sorted[0]) : `**${fmt(median(values))}** (${fmt(sorted[0])}–${fmt(sorted.at(-1))})`
}

function judge(figure, wharf, reference) {
  const goal = GOALS.find(([pattern]) => pattern.test(figure))
  if (!goal || !wharf?.length) return ['', '']
  const [, kind, value] = goal
  if (kind === 'max') return [`≤ ${value} MB`, Math.max(...wharf) <= value ? 'yes' : 'NO']
  if (!reference?.length) return [`≥ ${value}×`, '']
  return [`≥ ${value}×`, median(wharf) / median(reference) >= value ? 'yes' : 'NO']
}

/** The markdown of a field run: environment, the figures with spread and ratios, every sample. */
export function fieldReport({ samples, started, ended, loadStart, loadEnd, opts, layerMiB }) {
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })()
  const lines = [
    '## Field run: curl, skopeo, wrk and ab against long-lived servers',
    '',
    `- date: ${started.toISOString()} – ${ended.toISOString()}`,
    `- command: \`node benchmarks/field.mjs --rounds=${opts.rounds} --pulls=${opts.pulls} --size=${opts.size} --duration=${opts.duration} --layers=${opts.layers}${opts['wharf-malloc'] === 'shipped' ? ' --wharf-malloc=shipped' : ''}\``,
    `- wharf: commit ${commit} (packages/*/dist as built); node ${process.version}; reference: ${opts['reference-bin']} (distribution 2.8.2)`,
    `- machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; shared with other work`,
    `- load average (1, 5, 15 min) at start: ${loadStart.map((n) => n.toFixed(2)).join(' ')}; at end: ${loadEnd.map((n) => n.toFixed(2)).join(' ')}`,
    '- one process per registry for the whole run, each on its own root in the same temp dir (same disk); both configured with',
    '  listen address, root, `storage.delete.enabled: true`, `log.level: warn` and nothing else',
    `- wharf's malloc: ${opts['wharf-malloc'] === 'shipped' ? 'the thresholds the container image and `npm start` set (GLIBC_TUNABLES)' : "glibc's defaults (GLIBC_TUNABLES empty)"}`,
    `- each of ${opts.rounds} rounds, wharf and reference alternating who goes first: request rates (${opts.duration} s each, 32 connections),`,
    `  then a ${opts.size} MiB push with \`curl -T\` (POST, then PUT ?digest= of the file), then ${opts.pulls} pulls in a row with`,
    `  \`curl -o /dev/null\`, then \`skopeo copy\` of a fresh random image (${layerMiB.join(' + ')} MiB layers) from an OCI layout to the`,
    '  registry, then back from the registry into a `dir:` on the same disk',
    '- figures: **median** (min–max) of all samples; ratio = wharf median / reference median',
    '',
    '| figure | unit | wharf | reference | wharf / ref | goal | met |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const [figure, byServer] of Object.entries(samples)) {
    const { wharf, reference } = byServer
    const ratio = wharf?.length && reference?.length ? `${(median(wharf) / median(reference)).toFixed(2)}×` : ''
    const [goal, met] = judge(figure, wharf, reference)
    lines.push(`| ${figure} | ${unitOf(figure)} | ${spread(wharf)} | ${spread(reference)} | ${ratio} | ${goal} | ${met} |`)
  }
  lines.push(
    ...ceilingTable(samples, /^pull .*curl/, 'Pull ceiling: the same file from plain node:http servers (benchmarks/bare-file-server.mjs), pulled with curl in the same rounds.', 0.9),
    ...ceilingTable(
      samples,
      /^push .*curl/,
      'Push ceiling: plain node:http sinks (benchmarks/bare-push-sink.mjs) that do only what any registry must with the upload, pushed with the same `curl -T` in the same rounds. "it / ref" is how far above the reference the ceiling itself is: a goal above it is beyond any Node server on this machine.',
    ),
    ...ceilingTable(samples, /^push .*skopeo/, "skopeo's own ceiling: the same image copied by skopeo into a local `dir:`, no registry and no network, in the same rounds."),
    ...ceilingTable(
      samples,
      /^peak RSS during the push/,
      'Memory floor: peak RSS of the same node:http sinks during their pushes (plain Node, default garbage collection): what Node itself needs to stream the upload.',
      undefined,
      'MB',
    ),
  )
  lines.push('', 'Lower is better for RSS and CPU rows. Every sample, in run order:', '', '| figure | wharf | reference |', '| --- | --- | --- |')
  for (const [figure, { wharf = [], reference = [], ...others }] of Object.entries(samples)) {
    lines.push(`| ${figure} | ${wharf.map(fmt).join(', ')} | ${reference.map(fmt).join(', ')} |`)
    for (const [name, values] of Object.entries(others)) lines.push(`| ${figure}, ${name} | ${values.map(fmt).join(', ')} | |`)
  }
  return `${lines.join('\n')}\n`
}

/** The table comparing wharf with the bare servers measured on the same figure (none: no table). */
function ceilingTable(samples, figurePattern, caption, goal, unit = 'MiB/s') {
  const figure = Object.keys(samples).find((name) => figurePattern.test(name))
  const bares = Object.keys(samples[figure] ?? {}).filter((name) => name.startsWith('bare'))
  if (!bares.length) return []
  const { wharf, reference } = samples[figure]
  const lines = ['', caption, '']
  lines.push(goal ? `| server | ${unit} | wharf / it | goal | met |` : `| server | ${unit} | wharf / it | it / ref |`, goal ? '| --- | ---: | ---: | ---: | ---: |' : '| --- | ---: | ---: | ---: |')
  for (const name of bares) {
    const ratio = median(wharf) / median(samples[figure][name])
    const tail = goal
      ? `≥ ${100 * goal} % | ${ratio >= goal ? 'yes' : 'NO'}`
      : reference?.length ? `${(median(samples[figure][name]) / median(reference)).toFixed(2)}×` : ''
    lines.push(`| ${name} | ${spread(samples[figure][name])} | ${(100 * ratio).toFixed(0)} % | ${tail} |`)
  }
  return lines
}
