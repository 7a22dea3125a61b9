import { median } from './stats.mjs'

const MiB = 2 ** 20
const MB = 1e6
/** Growth of the peak RSS between the smallest and the largest push that still counts as flat. */
export const flatToleranceMB = 8

/**
 * Turns the samples of every repetition into the rows of the result table (medians, wharf /
 * reference ratios, the targets and whether wharf meets them).
 *
 * `samples` maps a metric key to `{ wharf: number[], reference: number[] }`; `ceiling` holds the
 * sha256 figures (`node` and `nodeCpu`: number[], `openssl`: number[] | undefined); `flows` maps a push flow's key
 * to its `{ label }`.
 *
 * @typedef {{ label: string, unit: string, wharf?: number, reference?: number, ratio?: number, target?: string, met?: boolean }} Row
 * @returns {{ comparison: Row[], ceiling: Row[] }}
 */
export function toResultRows({ samples, ceiling, sizesMiB, connections, flows }) {
  const largest = sizesMiB.at(-1)
  const smallest = sizesMiB[0]
  const mid = (key, kind, scale = 1) => (samples.get(key)?.[kind]?.length ? median(samples.get(key)[kind]) / scale : undefined)
  const compare = (label, unit, key, scale, target, isMet, referenceKey = key) => {
    const wharf = mid(key, 'wharf', scale)
    const reference = mid(referenceKey, 'reference', scale)
    const ratio = wharf !== undefined && reference ? wharf / reference : undefined
    return { label, unit, wharf, reference, ratio, target, met: target ? isMet({ wharf, reference, ratio }) : undefined }
  }
  const atLeastTimes = (times) => ({ ratio }) => ratio !== undefined && ratio >= times
  const atMost = (limit) => ({ wharf }) => wharf !== undefined && wharf <= limit

  const comparison = []
  for (const size of sizesMiB) {
    const target = (text) => (size === largest ? text : undefined)
    for (const [flow, { label }] of Object.entries(flows)) {
      // A registry may decline the single POST (the reference does); it is then compared with the
      // monolithic upload that registry does support, and the label says so.
      const declined = !samples.get(`push-${flow}:${size}`)?.reference?.length && samples.get(`push-postput:${size}`)?.reference?.length
      comparison.push(
        declined
          ? compare(`push ${label}, ${size} MiB ¹`, 'MiB/s', `push-${flow}:${size}`, 1, target('≥ 3×'), atLeastTimes(3), `push-postput:${size}`)
          : compare(`push ${label}, ${size} MiB`, 'MiB/s', `push-${flow}:${size}`, 1, target('≥ 3×'), atLeastTimes(3)),
      )
    }
    comparison.push(compare(`pull (GET blob), ${size} MiB`, 'MiB/s', `pull:${size}`, 1, target('≥ 1×'), atLeastTimes(1)))
  }
  for (const size of sizesMiB) {
    for (const [flow, { label }] of Object.entries(flows)) {
      comparison.push(compare(`peak RSS, push ${label}, ${size} MiB`, 'MB', `rss-${flow}:${size}`, MB, '≤ 64 MB', atMost(64)))
    }
  }
  if (sizesMiB.length > 1) {
    for (const [flow, { label }] of Object.entries(flows)) {
      const growth = (kind) => {
        const big = mid(`rss-${flow}:${largest}`, kind, MB)
        const small = mid(`rss-${flow}:${smallest}`, kind, MB)
        return big === undefined || small === undefined ? undefined : big - small
      }
      const wharf = growth('wharf')
      comparison.push({
        label: `peak RSS growth ${smallest} → ${largest} MiB, push ${label}`,
        unit: 'MB',
        wharf,
        reference: growth('reference'),
        target: `flat (≤ ${flatToleranceMB} MB)`,
        met: wharf !== undefined && wharf <= flatToleranceMB,
      })
    }
  }
  for (const [flow, { label }] of Object.entries(flows)) {
    comparison.push(compare(`server CPU per GiB, push ${label}, ${largest} MiB`, 'CPU s/GiB', `cpu-${flow}:${largest}`, 1))
  }
  comparison.push(
    compare(`server CPU per GiB, pull, ${largest} MiB`, 'CPU s/GiB', `cpu-pull:${largest}`, 1),
    compare(`server CPU per request, GET manifest`, 'CPU µs', 'cpu-manifest-get', 1),
    compare(`server CPU per request, HEAD blob`, 'CPU µs', 'cpu-blob-head', 1),
    compare('idle RSS after start', 'MB', 'idle-rss', MB),
    compare(`GET manifest by tag, c=${connections}`, 'req/s', 'manifest-get', 1, '≥ 10×', atLeastTimes(10)),
    compare(`HEAD blob, c=${connections}`, 'req/s', 'blob-head', 1, '≥ 10×', atLeastTimes(10)),
  )

  const nodeSha = ceiling.node.length ? median(ceiling.node) : undefined
  const opensslSha = ceiling.openssl?.length ? median(ceiling.openssl) : undefined
  const ceilingRows = [
    { label: `node sha256, ${largest} MiB in 1 MiB updates (wall clock)`, unit: 'MiB/s', wharf: nodeSha },
    { label: `node sha256, ${largest} MiB in 1 MiB updates (CPU time)`, unit: 'MiB/s', wharf: ceiling.nodeCpu?.length ? median(ceiling.nodeCpu) : undefined },
    { label: 'openssl speed -evp sha256 -bytes 1048576 (CPU time)', unit: 'MiB/s', wharf: opensslSha },
  ]
  for (const [flow, { label }] of Object.entries(flows)) {
    const push = mid(`push-${flow}:${largest}`, 'wharf')
    const share = push !== undefined && nodeSha ? push / nodeSha : undefined
    ceilingRows.push({
      label: `wharf push ${label}, ${largest} MiB / node sha256 (wall clock)`,
      unit: '%',
      wharf: share === undefined ? undefined : share * 100,
      target: '≥ 70 %',
      met: share !== undefined && share >= 0.7,
    })
  }
  return { comparison, ceiling: ceilingRows }
}
/** The footnote for rows marked ¹ (a flow the reference declines). */
export const declinedFootnote =
  '¹ the reference answers 202 to a single POST ?digest= (the spec lets a registry decline it), so its column shows its POST + PUT figure, the monolithic upload it does support.'

/** The rows as a plain-text table for the terminal. */
export function toTextTable(rows, headings) {
  const cells = [headings, ...rows.map((row) => toCells(row, headings.length))]
  const widths = headings.map((_, column) => Math.max(...cells.map((line) => line[column].length)))
  return cells
    .map((line, index) => {
      const text = line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')
      return index === 0 ? `${text}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : text
    })
    .join('\n')
}

/** The rows as a markdown table. */
export function toMarkdownTable(rows, headings) {
  const lines = [`| ${headings.join(' | ')} |`, `|${headings.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const row of rows) lines.push(`| ${toCells(row, headings.length).join(' | ')} |`)
  return lines.join('\n')
}

/** Headings of the comparison table and of the sha256-ceiling table. */
export const comparisonHeadings = ['measurement', 'unit', 'wharf', 'reference', 'wharf / ref', 'target', 'met']
export const ceilingHeadings = ['measurement', 'unit', 'value', 'target', 'met']

function toCells(row, count) {
  const met = row.met === undefined ? '' : row.met ? 'yes' : 'NO'
  if (count === ceilingHeadings.length) return [row.label, row.unit, format(row.wharf), row.target ?? '', met]
  const ratio = row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`
  return [row.label, row.unit, format(row.wharf), format(row.reference), ratio, row.target ?? '', met]
}

function format(value) {
  if (value === undefined) return 'n/a'
  if (Math.abs(value) >= 100) return Math.round(value).toString()
  return value.toFixed(1)
}
