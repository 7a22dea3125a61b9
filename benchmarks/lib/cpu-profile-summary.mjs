import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

/**
 * Reads the `.cpuprofile` files `node --cpu-prof` wrote into `dir`, groups them by the phase in
 * their name (`wharf-<phase>-…`), and returns, per phase, the `top` functions by self time summed
 * over that phase's processes, as markdown. Percentages are of busy time (idle samples left out),
 * so they say where the CPU went while wharf was working.
 */
export async function summarizeCpuProfiles(dir, top = 15) {
  // The probe server only answers one request; its profile is start-up cost and says nothing.
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile') && !name.includes('-probe')).sort()
  const phases = new Map()
  for (const name of files) {
    const phase = /^wharf-([a-z]+)/.exec(name)?.[1] ?? 'other'
    const totals = phases.get(phase) ?? new Map()
    phases.set(phase, totals)
    addSelfTimes(JSON.parse(await readFile(join(dir, name), 'utf8')), totals)
  }
  const sections = []
  for (const [phase, totals] of phases) {
    const busy = [...totals].filter(([key]) => key !== '(idle)')
    const busyMs = busy.reduce((sum, [, ms]) => sum + ms, 0)
    const lines = [`#### wharf, ${phase} (${Math.round(busyMs)} ms busy, ${Math.round(totals.get('(idle)') ?? 0)} ms idle)`, '', '| self % | self ms | function |', '| ---: | ---: | --- |']
    for (const [key, ms] of busy.sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`| ${((100 * ms) / busyMs).toFixed(1)} | ${Math.round(ms)} | ${key.replaceAll('|', '\\|')} |`)
    }
    sections.push(lines.join('\n'))
  }
  return sections.join('\n\n')
}

/** Adds each function's self time (sum of the sample intervals that landed in it) to `totals`. */
function addSelfTimes(profile, totals) {
  const keyOf = new Map(profile.nodes.map((node) => [node.id, toKey(node.callFrame)]))
  const { samples = [], timeDeltas = [] } = profile
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time spent *in* sample i runs until the next one.
    const ms = (timeDeltas[i + 1] ?? 0) / 1000
    const key = keyOf.get(samples[i]) ?? '(unknown)'
    totals.set(key, (totals.get(key) ?? 0) + ms)
  }
}

function toKey({ functionName, url, lineNumber }) {
  if (!url) return functionName || '(anonymous)'
  // Files under node_modules (wharf's own packages run from the run's copy) read best by package.
  const path = url.startsWith('file://') ? new URL(url).pathname : url
  const inModules = path.lastIndexOf('/node_modules/')
  const where = inModules >= 0 ? path.slice(inModules + '/node_modules/'.length) : url.startsWith('file://') ? relative(process.cwd(), path) : url
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
}
